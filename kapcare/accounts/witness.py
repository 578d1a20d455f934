"""A second staff member re-authenticates on the same screen to witness a controlled-substance
record (waste, counts, adjustments, on-site destruction).

The witness types their own e-mail, password and a current authenticator (or recovery) code on
the actor's device, so a witness cannot be claimed without them being there.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Membership, User
from kapcare.accounts.services import verify_second_factor
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event


def verify_witness(*, actor: Actor, email: str, password: str, token: str) -> User:
    """The witness, once their password and second factor check out.

    Raises ValidationError keyed "witness_email" / "witness_password" / "witness_token" naming
    the field at fault. Fields are checked in that order and the code is only tried after the
    password is right, so a mistyped password does not use up the colleague's code. A failed
    attempt leaves an audit row (someone may be guessing a colleague's password) and nothing
    else.
    """
    email = (email or "").strip()
    witness = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if (
        witness is None
        or not Membership.objects.filter(user=witness, clinic_id=actor.clinic_id).exists()
    ):
        raise ValidationError(
            {"witness_email": _("No active staff member at this clinic signs in with that e-mail.")}
        )
    if actor.user is not None and witness.pk == actor.user.pk:
        raise ValidationError(
            {"witness_email": _("You cannot witness your own record. Ask a colleague.")}
        )
    if not password or not witness.check_password(password):
        _record_failure(actor, witness, "password")
        raise ValidationError(
            {"witness_password": _("That password is not right for %(email)s.") % {"email": email}}
        )
    if not token or verify_second_factor(user=witness, token=token) is None:
        _record_failure(actor, witness, "code")
        raise ValidationError(
            {
                "witness_token": _(
                    "That code was not accepted. Enter the code the witness's authenticator shows "
                    "now (each code works once), or one of their recovery codes."
                )
            }
        )
    return witness


def _record_failure(actor: Actor, witness: User, what: str) -> None:
    record_event(
        actor=actor,
        action=AuditAction.MFA_FAILED,
        object_type="witness",
        object_id=witness.pk,
        summary=_("Witness check failed (%(what)s) for %(email)s")
        % {"what": what, "email": witness.email},
    )


class WitnessFields(forms.Form):
    """The witness's e-mail, password and code, for any form that needs a witness.

    Call `verify_witness_fields(actor)` at the end of the form's clean(); it adds each failure
    at its field and returns the witness (None when anything on the form was missing or
    wrong; the witness is only checked once the rest of the form is valid).
    """

    witness_email = forms.EmailField(
        label=gettext_lazy("Witness e-mail"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "autocapitalize": "off"}),
    )
    witness_password = forms.CharField(
        label=gettext_lazy("Witness password"),
        required=False,
        strip=False,
        # "off" keeps the browser from filling in the signed-in user's own saved password.
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    witness_token = forms.CharField(
        label=gettext_lazy("Witness authenticator code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )

    WITNESS_FIELDS = ("witness_email", "witness_password", "witness_token")

    def verify_witness_fields(self, actor: Actor) -> User | None:
        missing = [name for name in self.WITNESS_FIELDS if not (self.cleaned_data.get(name) or "")]
        for name in missing:
            if name not in self.errors:
                self.add_error(name, _("The witness fills this in."))
        if self.errors:
            # Anything wrong on the form: leave the witness's code unused (each works once).
            return None
        try:
            return verify_witness(
                actor=actor,
                email=self.cleaned_data["witness_email"],
                password=self.cleaned_data["witness_password"],
                token=self.cleaned_data["witness_token"],
            )
        except ValidationError as error:
            self.add_error(None, error)
            return None
