"""Observation: instrument totals (measures.Response) and vital signs (dosing.VitalSign).

Totals follow the US Core Observation Screening Assessment profile: category `survey`, the
instrument's LOINC total code where the definition file gives one (PHQ-9 44261-6, GAD-7
70274-6) beside kapcare's own (urn:kapcare:instrument-total|pcl5), the score as a UCUM
`{score}` quantity, the severity band as the interpretation, and `derivedFrom` the
QuestionnaireResponse. Only scored responses have one (an incomplete response has no total).

Vital signs follow the FHIR vital-signs profiles (category `vital-signs`, LOINC codes, UCUM
units): one set of readings is up to four Observations, one per kind that was measured —
blood pressure (panel 85354-9, systolic 8480-6 and diastolic 8462-4 components), heart rate
(8867-4), oxygen saturation (2708-6 with the pulse-oximetry code 59408-5) and respiratory
rate (9279-1). The sedation score (MOAA/S) is not a vital sign and kapcare records no
temperature, so neither appears.

Ids say which table a resource comes from: `total-<response id>`, `vs-<reading id>-<kind>`.
Searches run over both tables at once (kapcare.fhir.union); both are visible only for clients
whose clinical record the token's user may see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, F, Q, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.permissions import ClientAction, clients_visible_to
from kapcare.dosing.models import VitalSign
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import ResourceType, reference, register
from kapcare.fhir.resources.questionnaire import LOINC
from kapcare.fhir.union import KEY, KIND, Part, UnionRows
from kapcare.measures.models import STAFF_ENTERED_SOURCES, Response

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
TOTAL_SYSTEM = "urn:kapcare:instrument-total"
SCREENING = (
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment"
)
TOTAL = "total"
SURVEY = {"code": "survey", "display": "Survey"}
VITAL_SIGNS = {"code": "vital-signs", "display": "Vital Signs"}


@dataclass(frozen=True)
class Vital:
    kind: str
    profile: str
    codes: tuple[tuple[str, str], ...]  # LOINC (code, display), the profile's code first
    text: str
    field: str  # the reading's column (systolic for the blood-pressure panel)
    unit: tuple[str, str]  # (human unit, UCUM code)


VITALS = (
    Vital(
        "bp",
        "http://hl7.org/fhir/StructureDefinition/bp",
        (("85354-9", "Blood pressure panel with all children optional"),),
        "Blood pressure",
        "systolic",
        ("mmHg", "mm[Hg]"),
    ),
    Vital(
        "hr",
        "http://hl7.org/fhir/StructureDefinition/heartrate",
        (("8867-4", "Heart rate"),),
        "Heart rate",
        "heart_rate",
        ("beats/minute", "/min"),
    ),
    Vital(
        "spo2",
        "http://hl7.org/fhir/StructureDefinition/oxygensat",
        (
            ("2708-6", "Oxygen saturation in Arterial blood"),
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ),
        "Oxygen saturation",
        "spo2",
        ("%", "%"),
    ),
    Vital(
        "rr",
        "http://hl7.org/fhir/StructureDefinition/resprate",
        (("9279-1", "Respiratory rate"),),
        "Respiratory rate",
        "respiratory_rate",
        ("breaths/minute", "/min"),
    ),
)
BY_KIND = {f"vs-{vital.kind}": vital for vital in VITALS}
BP_COMPONENTS = (
    ("8480-6", "Systolic blood pressure", "systolic"),
    ("8462-4", "Diastolic blood pressure", "diastolic"),
)
_ID = re.compile(r"^(?:total-(?P<total>\d{1,18})|vs-(?P<reading>\d{1,18})-(?P<kind>[a-z0-9]+))$")


@dataclass(frozen=True)
class ObservationRow:
    """A response (kind "total") or a reading and which of its vital signs (kind "vs-hr")."""

    kind: str
    row: Any

    @property
    def client_id(self) -> int:
        return self.row.client_id if self.kind == TOTAL else self.row.session.client_id

    @property
    def ident(self) -> str:
        if self.kind == TOTAL:
            return f"total-{self.row.pk}"
        return f"vs-{self.row.pk}-{self.kind.removeprefix('vs-')}"


def _text(value: str) -> Value:
    return Value(value, output_field=CharField())


def _parts(access: ApiAccess) -> tuple[Part, ...]:
    clinical = clients_visible_to(access.actor, ClientAction.VIEW_CLINICAL)
    responses = Response.objects.filter(
        clinic=access.actor.clinic, client__in=clinical
    ).select_related("instrument")
    totals = Part(
        TOTAL,
        "response",
        responses,
        {
            "obs_patient": F("client_id"),
            "obs_moment": F("completed_at"),
            "obs_category": _text(SURVEY["code"]),
            # The definition's LOINC total code, as text (KT does not follow the relation, and
            # an uncast key transform compares as JSON, which "44261-6" is not).
            "obs_loinc": Cast(
                KeyTextTransform("total", KeyTransform("loinc", "instrument__definition")),
                CharField(),
            ),
            "obs_local": F("instrument_code"),
        },
        where=Q(total__isnull=False),
    )
    readings = VitalSign.objects.filter(
        clinic=access.actor.clinic, session__client__in=clinical
    ).select_related("session")
    vitals = tuple(
        Part(
            kind,
            "vitals",
            readings,
            {
                "obs_patient": F("session__client_id"),
                "obs_moment": F("recorded_at"),
                "obs_category": _text(VITAL_SIGNS["code"]),
                "obs_loinc": _text(vital.codes[0][0]),
                "obs_local": _text(vital.kind),
            },
            where=Q(**{f"{vital.field}__isnull": False}),
        )
        for kind, vital in BY_KIND.items()
    )
    return (totals, *vitals)


def _kind_and_key(ident: str) -> tuple[str, int] | None:
    match = _ID.match(ident)
    if match is None:
        return None
    if match["total"]:
        return TOTAL, int(match["total"])
    return f"vs-{match['kind']}", int(match["reading"])


def _ids(values: list[str]) -> Q:
    match = Q(pk__in=[])
    for value in values:
        found = _kind_and_key(value)
        if found is not None:
            match |= Q(**{KIND: found[0], KEY: found[1]})
    return match


def _code(system: str | None, code: str) -> Q:
    match = Q(pk__in=[])
    if system in (None, LOINC):
        match |= Q(**{KIND: TOTAL}, obs_loinc=code)
        for kind, vital in BY_KIND.items():
            if code in {loinc for loinc, _display in vital.codes}:
                match |= Q(**{KIND: kind})
    if system in (None, TOTAL_SYSTEM):
        match |= Q(**{KIND: TOTAL}, obs_local=code)
    return match


def _category(system: str | None, code: str) -> Q:
    if system not in (None, CATEGORY):
        return Q(pk__in=[])
    return Q(obs_category=code)


@register
class ObservationType(ResourceType):
    name = "Observation"
    profile = "http://hl7.org/fhir/StructureDefinition/Observation"
    documentation = (
        "Instrument totals (US Core screening assessment, category survey, derivedFrom the "
        "QuestionnaireResponse) and vital signs from dosing sessions (FHIR vital-signs "
        "profiles), for clients whose clinical record the token's user may see."
    )
    params = (
        search.SearchParam("_id", "token", "total-<response id> or vs-<reading id>-<kind>.", _ids),
        search.reference("patient", "The client (Patient/123).", "obs_patient", "Patient"),
        search.reference("subject", "The client (Patient/123).", "obs_patient", "Patient"),
        search.token(
            "code", f"LOINC (http://loinc.org|44261-6) or {TOTAL_SYSTEM}|<instrument>.", _code
        ),
        search.token("category", "survey or vital-signs.", _category),
        search.date("date", "When it was completed or measured.", "obs_moment"),
    )
    sorts = {"date": "obs_moment"}
    default_sort = ("-obs_moment",)

    def search_rows(self, access: ApiAccess) -> UnionRows:
        return UnionRows(_parts(access), ObservationRow)

    def patient_path(self, access: ApiAccess) -> str | None:
        return "obs_patient"

    def export_rows(self, access: ApiAccess, *, since=None, until=None, clients=None) -> Any:
        """Readings and totals are never edited (a correction is a new row), so the time
        they were completed or measured is their change time for `_since`."""
        rows = self.search_rows(access).order_by("pk")
        if since is not None:
            rows = rows.filter(Q(obs_moment__gt=since))
        if until is not None:
            rows = rows.filter(Q(obs_moment__lte=until))
        if clients is not None:
            rows = rows.filter(Q(obs_patient__in=clients.values("pk")))
        return rows

    def read(self, access: ApiAccess, ident: str) -> ObservationRow:
        found = _kind_and_key(ident)
        rows = self.search_rows(access).filter(_ids([ident]))[0:1] if found else []
        if not rows:
            raise FhirError(404, f"Observation/{ident} is not known, or not visible to this token.")
        return rows[0]

    def client_id(self, row: ObservationRow) -> int:
        return row.client_id

    def to_fhir(self, row: ObservationRow) -> dict:
        return _total(row) if row.kind == TOTAL else _vital(row, BY_KIND[row.kind])


def _total(item: ObservationRow) -> dict:
    response: Response = item.row
    definition = response.instrument
    spec = definition.definition
    loinc = spec.get("loinc", {}).get("total")
    name = f"{definition.short_title} total score"
    codes = [{"system": LOINC, "code": loinc, "display": name}] if loinc else []
    codes.append({"system": TOTAL_SYSTEM, "code": definition.code, "display": name})
    if response.source in STAFF_ENTERED_SOURCES and response.entered_by_id is not None:
        performer = reference("Practitioner", response.entered_by_id)
    else:
        performer = reference("Patient", response.client_id)
    resource: dict = {
        "resourceType": "Observation",
        "id": item.ident,
        "meta": {"profile": [SCREENING], "lastUpdated": response.created_at.isoformat()},
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, **SURVEY}]}],
        "code": {"coding": codes, "text": name},
        "subject": reference("Patient", response.client_id),
        "effectiveDateTime": response.completed_at.isoformat(),
        "issued": response.created_at.isoformat(),
        "performer": [performer],
        "valueQuantity": {
            "value": response.total,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        },
        "derivedFrom": [reference("QuestionnaireResponse", response.pk)],
    }
    if response.band:
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": f"urn:kapcare:severity-band:{definition.code}",
                        "code": response.band,
                        "display": response.band_label,
                    }
                ],
                "text": response.band_label,
            }
        ]
    if response.prorated:
        resource["note"] = [
            {"text": "Prorated: an item was left blank, scored under the instrument's rule."}
        ]
    return resource


def _quantity(value: int, vital: Vital) -> dict:
    unit, code = vital.unit
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _vital(item: ObservationRow, vital: Vital) -> dict:
    reading: VitalSign = item.row
    resource: dict = {
        "resourceType": "Observation",
        "id": item.ident,
        "meta": {"profile": [vital.profile], "lastUpdated": reading.created_at.isoformat()},
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, **VITAL_SIGNS}], "text": "Vital Signs"}],
        "code": {
            "coding": [{"system": LOINC, "code": c, "display": d} for c, d in vital.codes],
            "text": vital.text,
        },
        "subject": reference("Patient", reading.session.client_id),
        "effectiveDateTime": reading.recorded_at.isoformat(),
        "issued": reading.created_at.isoformat(),
        "performer": [reference("Practitioner", reading.recorded_by_id)],
    }
    if vital.kind == "bp":
        resource["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                "valueQuantity": _quantity(getattr(reading, field), vital),
            }
            for code, display, field in BP_COMPONENTS
        ]
    else:
        resource["valueQuantity"] = _quantity(getattr(reading, vital.field), vital)
    return resource
