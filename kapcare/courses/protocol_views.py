"""The clinic's care protocol (preparation requirement, integration window): read by clinicians,
changed by clinic admins as a new version."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.core.concurrency import ConcurrentChange, VersionedFormMixin
from kapcare.core.forms import add_service_errors
from kapcare.courses.models import PreparationElement
from kapcare.courses.selectors import care_protocol_versions, current_care_protocol
from kapcare.courses.services import publish_care_protocol


class CareProtocolForm(VersionedFormMixin, forms.Form):
    min_preparation_sessions = forms.IntegerField(
        label=gettext_lazy("Signed preparation sessions required before the first dose"),
        min_value=1,
        max_value=10,
    )
    required_elements = forms.MultipleChoiceField(
        label=gettext_lazy("Preparation must cover"),
        choices=PreparationElement.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    integration_window_hours = forms.IntegerField(
        label=gettext_lazy("Integration session due within (hours after each dosing session)"),
        min_value=1,
        max_value=24 * 14,
    )


@staff_required(Role.CLINIC_ADMIN, Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)
def care_protocol(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    current = current_care_protocol(actor.clinic_id)
    can_edit = actor.has_role(Role.CLINIC_ADMIN)
    form = CareProtocolForm(
        request.POST or None,
        initial={
            "min_preparation_sessions": current.min_preparation_sessions,
            "required_elements": current.required_preparation_elements,
            "integration_window_hours": current.integration_window_hours,
        },
        version=str(current.version),
    )
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                protocol = publish_care_protocol(
                    actor=actor,
                    min_preparation_sessions=form.cleaned_data["min_preparation_sessions"],
                    required_elements=form.cleaned_data["required_elements"],
                    integration_window_hours=form.cleaned_data["integration_window_hours"],
                    based_on_version=form.based_on,
                )
            except ConcurrentChange as conflict:
                form.show_conflict(conflict)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Care protocol v%(v)s is now in force.") % {"v": protocol.version}
                )
                return redirect("care_protocol:detail")
    context = {
        "current": current,
        "elements": [PreparationElement(e).label for e in current.required_preparation_elements],
        "versions": care_protocol_versions(actor.clinic_id),
        "form": form,
        "can_edit": can_edit,
    }
    return render(request, "courses/care_protocol.html", context)
