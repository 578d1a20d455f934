"""The care-team section of a staff member's page: which clients they are on the team of, and
adding or removing them there. Writes go through the clients' own care-team services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kapcare.accounts.actor import Actor
from kapcare.accounts.decorators import staff_required
from kapcare.accounts.models import Role, User
from kapcare.accounts.staff_selectors import get_staff_member_or_404
from kapcare.clients import services
from kapcare.clients.models import CARE_TEAM_ROLES, Client, ClientStatus
from kapcare.clients.picker import ClientPickerField
from kapcare.clients.selectors import care_team_place, care_team_places

SECTION_TEMPLATE = "clients/partials/_staff_care_teams.html"


class StaffCareTeamForm(forms.Form):
    # Typed, not a <select>: a clinic's clients are too many to list as options.
    client = ClientPickerField(label=gettext_lazy("Client"))
    role = forms.ChoiceField(label=gettext_lazy("Role on the team"))

    def __init__(self, *args, clinic_id: int, member: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(clinic_id=clinic_id).exclude(
            status=ClientStatus.DISCHARGED
        )
        held = {m.role for m in getattr(member, "clinic_roles", [])} or set(
            member.memberships.filter(clinic_id=clinic_id).values_list("role", flat=True)
        )
        self.fields["role"].choices = [(r.value, r.label) for r in CARE_TEAM_ROLES if r in held]
        self.member = member

    def clean(self):
        cleaned = super().clean()
        if not self.member.is_active:
            raise forms.ValidationError(
                _("%(name)s is deactivated; reactivate them before adding them to a care team.")
                % {"name": self.member.full_name}
            )
        return cleaned


def care_team_section(
    request: HttpRequest, actor: Actor, member: User, form: StaffCareTeamForm | None = None
) -> tuple[str, dict]:
    """Registered in ClientsConfig.ready as a section of the staff page."""
    form = form or StaffCareTeamForm(clinic_id=actor.clinic_id, member=member)
    return SECTION_TEMPLATE, {
        "assignments": care_team_places(actor.clinic_id, member),
        "care_team_form": form,
        "member": member,
    }


@staff_required(Role.CLINIC_ADMIN)
def staff_care_team_add(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = request.actor
    member = get_staff_member_or_404(actor, user_id)
    if request.method != "POST":  # a reload after a post: show the staff page, not a 405
        return redirect("staff:detail", user_id=member.pk)
    form = StaffCareTeamForm(request.POST, clinic_id=actor.clinic_id, member=member)
    if form.is_valid():
        try:
            services.add_care_team_member(
                actor=actor,
                client=form.cleaned_data["client"],
                user=member,
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(name)s is on %(client)s's care team.")
                % {"name": member.full_name, "client": form.cleaned_data["client"].full_name},
            )
    else:
        messages.error(
            request,
            " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect("staff:detail", user_id=member.pk)


@staff_required(Role.CLINIC_ADMIN)
def staff_care_team_remove(request: HttpRequest, user_id: int, member_id: int) -> HttpResponse:
    actor = request.actor
    member = get_staff_member_or_404(actor, user_id)
    if request.method != "POST":
        return redirect("staff:detail", user_id=member.pk)
    assignment = care_team_place(actor.clinic_id, member, member_id)
    if assignment is None:
        raise Http404("No such care team place.")
    services.remove_care_team_member(actor=actor, member=assignment)
    messages.success(
        request,
        _("%(name)s is off %(client)s's care team.")
        % {"name": member.full_name, "client": assignment.client.full_name},
    )
    return redirect("staff:detail", user_id=member.pk)
