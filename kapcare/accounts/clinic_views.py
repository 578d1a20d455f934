"""The clinic settings page: what the public site shows, and clinic-wide form choices."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.clinic_forms import ClinicSettingsForm
from kapcare.accounts.clinic_services import update_clinic_settings
from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Clinic, Role
from kapcare.core.forms import add_service_errors


@staff_required(Role.CLINIC_ADMIN)
def clinic_settings(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    # The form validates a copy: only the service writes the clinic.
    current = Clinic.objects.get(pk=actor.clinic_id)
    form = ClinicSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            changed = update_clinic_settings(actor=actor, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Clinic settings saved.") if changed else _("Nothing changed.")
            )
            return redirect("accounts:clinic_settings")
    return render(request, "accounts/clinic_settings.html", {"form": form})
