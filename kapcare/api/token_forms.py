"""The clinic admin's form for issuing an API token (kapcare.accounts.api_tokens checks the rest:
scopes, who may hold system/ scopes, how long a token may last)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS
from kapcare.accounts.models import ApiToken, Membership, User

SCOPE_EXAMPLES = (
    ("user/*.rs", _("read and search everything the member of staff may see")),
    (
        "user/Patient.rs user/QuestionnaireResponse.c",
        _("read clients and submit questionnaire answers (a measurement app)"),
    ),
    ("user/*.cruds", _("everything the member of staff may do (v1 spelling: user/*.*)")),
    ("system/*.rs", _("read the whole clinic (an integration acting for a clinic admin)")),
)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})"


class IssueTokenForm(forms.Form):
    label = forms.CharField(
        label=_("Name"),
        max_length=ApiToken._meta.get_field("label").max_length,
        help_text=_("What uses it, e.g. “Outcomes registry export”."),
    )
    user = StaffChoiceField(
        label=_("Acts as"),
        queryset=User.objects.none(),
        help_text=_(
            "The token acts as this member of staff: it sees only the clients they see in "
            "kapcare (their care teams), and stops working if they leave the clinic."
        ),
    )
    scopes = forms.CharField(
        label=_("Scopes"),
        max_length=ApiToken._meta.get_field("scopes").max_length,
        initial="user/*.rs",
        help_text=_(
            "SMART scopes, separated by spaces: context/Resource.permissions, with the "
            "permissions c r u d s (create, read, update, delete, search)."
        ),
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        initial=DEFAULT_EXPIRY_DAYS,
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        at_clinic = Membership.objects.filter(clinic=actor.clinic).values("user_id")
        self.fields["user"].queryset = User.objects.filter(
            pk__in=at_clinic, is_active=True
        ).order_by("full_name", "pk")
