"""The clinic's dosing protocol: every threshold with its default and source, its versions, and
publishing a new version (clinic admins)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.core.concurrency import ConcurrentChange, VersionedFormMixin
from kapcare.core.forms import add_service_errors
from kapcare.dosing.defaults import PARAMETERS
from kapcare.dosing.models import DosingProtocol
from kapcare.dosing.rules import MEDICATION_CLASSES
from kapcare.dosing.selectors import dosing_protocol_versions
from kapcare.dosing.services.protocol import (
    EDITABLE,
    ensure_dosing_protocol,
    publish_dosing_protocol,
)


class ProtocolForm(VersionedFormMixin, forms.ModelForm):
    flagged_medication_classes = forms.MultipleChoiceField(
        label=gettext_lazy("Medication classes that need prescriber review"),
        choices=[(key, label) for key, (label, _terms) in MEDICATION_CLASSES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    rescue_medications = forms.CharField(
        label=gettext_lazy("Rescue medication formulary (one per line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    notes = forms.CharField(
        label=gettext_lazy("What changed, and why"), widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = DosingProtocol
        fields = EDITABLE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["rescue_medications"] = "\n".join(self.instance.rescue_medications)

    def clean_rescue_medications(self):
        names = [line.strip() for line in self.cleaned_data["rescue_medications"].splitlines()]
        return [name for name in names if name]

    def _post_clean(self):
        # The service validates the new version as a whole (it refuses a min above a max).
        pass


def _rows(protocol: DosingProtocol) -> list[dict]:
    groups: dict[str, list] = {}
    for parameter in PARAMETERS:
        value = getattr(protocol, parameter.name)
        field = DosingProtocol._meta.get_field(parameter.name)
        groups.setdefault(str(parameter.group), []).append(
            {
                "label": field.verbose_name,
                "value": ", ".join(value) if isinstance(value, list) else value,
                "default": parameter.default,
                "changed": value != parameter.default,
                "unit": parameter.unit,
                "source": parameter.source,
                "long": parameter.name == "aftercare_instructions",
            }
        )
    return [{"group": group, "rows": rows} for group, rows in groups.items()]


@staff_required(Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.NURSE)
def protocol(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    current = ensure_dosing_protocol(clinic=actor.clinic)
    versions = dosing_protocol_versions(actor.clinic_id)
    shown = current
    if request.GET.get("version"):
        shown = next((v for v in versions if str(v.version) == request.GET["version"]), None)
        if shown is None:
            raise Http404("No such version.")
    context = {
        "shown": shown,
        "is_current": shown.pk == current.pk,
        "groups": _rows(shown),
        "versions": versions,
        "can_edit": actor.has_role(Role.CLINIC_ADMIN),
    }
    return render(request, "dosing/protocol.html", context)


@staff_required(Role.CLINIC_ADMIN)
def protocol_edit(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    current = ensure_dosing_protocol(clinic=actor.clinic)
    form = ProtocolForm(request.POST or None, instance=current, version=str(current.version))
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in EDITABLE if name in form.cleaned_data}
        try:
            published = publish_dosing_protocol(
                actor=actor,
                values=values,
                notes=form.cleaned_data["notes"],
                based_on_version=form.based_on,
            )
        except PermissionDenied:
            raise
        except ConcurrentChange as conflict:
            form.show_conflict(conflict)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Dosing protocol v%(v)s is in force for sessions checked in from now on.")
                % {"v": published.version},
            )
            return redirect("dosing_protocol:detail")
    return render(request, "dosing/protocol_edit.html", {"form": form, "current": current})
