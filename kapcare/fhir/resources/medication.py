"""MedicationRequest (a prescriber's signed dose order) and MedicationAdministration (a dose, or
a rescue medication, given in a dosing session).

Visible for the clients the token's user may see clinically, like the course's dosing pages.
"""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.permissions import ClientAction, clients_visible_to
from kapcare.dosing.models import (
    Administration,
    AdministrationKind,
    DoseOrder,
    DosingSession,
    DosingStatus,
    Product,
    Route,
    Site,
)
from kapcare.dosing.permissions import sessions_visible_to
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import ResourceType, register
from kapcare.fhir.resources.encounter import dosing_reference, dosing_session_param

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# RxNorm: ketamine is ingredient 6130; esketamine is ordered here only as the nasal spray
# (clinical drug form 2201623, "esketamine Nasal Spray").
MEDICATION = {
    Product.RACEMIC: (RXNORM, "6130", "ketamine"),
    Product.ESKETAMINE: (RXNORM, "2201623", "esketamine Nasal Spray"),
}
# SNOMED CT route of administration qualifiers. A lozenge is held under the tongue.
ROUTES = {
    Route.IV: ("47625008", "Intravenous route"),
    Route.IM: ("78421000", "Intramuscular route"),
    Route.SUBLINGUAL: ("37839007", "Sublingual route"),
    Route.INTRANASAL: ("46713006", "Nasal route"),
}


def medication(product: str) -> dict:
    system, code, display = MEDICATION[product]
    label = Product(product).label
    return {"coding": [{"system": system, "code": code, "display": display}], "text": str(label)}


def route(code: str) -> dict | None:
    if code in ROUTES:
        snomed, display = ROUTES[code]
        coding = {"system": SNOMED, "code": snomed, "display": display}
        return {"coding": [coding], "text": str(Route(code).label)}
    return {"text": code} if code else None


def quantity(value, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _code_param(field: str) -> search.SearchParam:
    """`code` / `medication`: RxNorm system|code, or the bare code."""
    by_code = {code: product for product, (_s, code, _d) in MEDICATION.items()}

    def match(system: str | None, code: str) -> Q:
        if system not in (None, RXNORM) or code not in by_code:
            return Q(pk__in=[])
        return Q(**{field: by_code[code]})

    return search.token("code", f"The medication ({RXNORM}|6130 ketamine, |2201623).", match)


def _status_param(codes: frozenset[str]) -> search.SearchParam:
    def match(system: str | None, code: str) -> Q:
        if code not in codes:
            known = ", ".join(sorted(codes))
            raise FhirError(400, f"status={code} is not one of: {known}.", expression="status")
        return Q(fhir_status=code)

    return search.token("status", ", ".join(sorted(codes)) + ".", match)


def _patient_params(field: str) -> tuple[search.SearchParam, ...]:
    return tuple(
        search.reference(name, "The client (Patient/<id>).", field, "Patient")
        for name in ("patient", "subject")
    )


def _text(value: str) -> list[dict] | None:
    return [{"text": value}] if value else None


def _compact(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if v not in (None, [], {})}


# --- MedicationRequest ----------------------------------------------------------------------

REQUEST_STATUSES = frozenset(
    {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft"}
    | {"unknown"}
)


def _orders(access: ApiAccess) -> QuerySet[DoseOrder]:
    """Each order with its FHIR status worked out in the query (so `status` can filter):
    cancelled before any dose was given under it, else stopped when cancelled, replaced by a
    later order of the course, or expired; completed once every authorised session is used;
    otherwise active. Sessions used are those in which a dose under the order started, as
    the dosing gates count them."""
    actor = access.actor
    used = (
        DosingSession.objects.filter(dose_order=OuterRef("pk"), dose_started_at__isnull=False)
        .values("dose_order")
        .annotate(n=Count("pk"))
        .values("n")
    )
    later = DoseOrder.objects.filter(course=OuterRef("course"), cancelled_at__isnull=True).filter(
        Q(signed_at__gt=OuterRef("signed_at"))
        | Q(signed_at=OuterRef("signed_at"), pk__gt=OuterRef("pk"))
    )
    earlier = DoseOrder.objects.filter(course=OuterRef("course")).filter(
        Q(signed_at__lt=OuterRef("signed_at"))
        | Q(signed_at=OuterRef("signed_at"), pk__lt=OuterRef("pk"))
    )
    stopped = Value("stopped")
    return (
        DoseOrder.objects.filter(
            clinic=actor.clinic, client__in=clients_visible_to(actor, ClientAction.VIEW_CLINICAL)
        )
        .annotate(
            used=Coalesce(Subquery(used, output_field=IntegerField()), 0),
            replaced=Exists(later),
            prior_id=Subquery(earlier.order_by("-signed_at", "-pk").values("pk")[:1]),
        )
        .annotate(
            fhir_status=Case(
                When(cancelled_at__isnull=False, used=0, then=Value("cancelled")),
                When(cancelled_at__isnull=False, then=stopped),
                When(used__gte=F("sessions_authorised"), then=Value("completed")),
                When(replaced=True, then=stopped),
                When(valid_until__lt=actor.clinic.today(), then=stopped),
                default=Value("active"),
                output_field=CharField(),
            )
        )
    )


def _status_reason(order: DoseOrder) -> dict | None:
    if order.cancelled_at is not None:
        return {"text": order.cancel_reason}
    if order.fhir_status != "stopped":
        return None
    if order.replaced:
        return {"text": "Replaced by a later dose order for the course."}
    return {"text": f"Expired after {order.valid_until.isoformat()}."}


def _dose_instruction(order: DoseOrder) -> dict:
    if order.dose_mg is not None:
        dose = quantity(order.dose_mg, "mg")
    else:
        dose = quantity(order.dose_mg_per_kg, "mg/kg")
    repeat = {
        # Up to this many sessions, until the order expires (after its last day).
        "count": order.sessions_authorised,
        "boundsPeriod": {
            "start": order.signed_at.isoformat(),
            "end": order.valid_until.isoformat(),
        },
    }
    if order.infusion_minutes:
        repeat |= {"duration": order.infusion_minutes, "durationUnit": "min"}
    instruction = {
        "text": str(order),
        "timing": {"repeat": repeat},
        "route": route(order.route),
        "doseAndRate": [{"doseQuantity": dose}],
    }
    if order.instructions:
        instruction["additionalInstruction"] = [{"text": order.instructions}]
    return instruction


def _order_notes(order: DoseOrder) -> list[dict] | None:
    if not order.outside_limits:
        return None
    findings = "; ".join(order.limit_findings)
    return [{"text": f"Outside protocol limits ({findings}). Override: {order.override_reason}"}]


@register
class MedicationRequestType(ResourceType):
    name = "MedicationRequest"
    documentation = (
        "A prescriber's signed dose order for a course's dosing sessions (ketamine or "
        "esketamine, route, dose in mg or mg/kg, sessions authorised, expiry)."
    )
    params = (
        *_patient_params("client_id"),
        _status_param(REQUEST_STATUSES),
        search.date("authoredon", "When the order was signed.", "signed_at"),
        search.date("date", "When the order was signed (as authoredon).", "signed_at"),
        _code_param("product"),
        search.reference("requester", "The prescriber who signed.", "signed_by_id", "Practitioner"),
    )
    sorts = {"authoredon": "signed_at", "date": "signed_at"}
    default_sort = ("-signed_at",)

    def visible(self, access: ApiAccess) -> QuerySet[DoseOrder]:
        return _orders(access)

    def to_fhir(self, order: DoseOrder) -> dict:
        resource = {
            "resourceType": "MedicationRequest",
            "id": str(order.pk),
            "status": order.fhir_status,
            "statusReason": _status_reason(order),
            "intent": "order",
            "medicationCodeableConcept": medication(order.product),
            "subject": {"reference": f"Patient/{order.client_id}"},
            "authoredOn": order.signed_at.isoformat(),
            "requester": {
                "reference": f"Practitioner/{order.signed_by_id}",
                "display": order.signature_name,
            },
            "dosageInstruction": [_dose_instruction(order)],
            "note": _order_notes(order),
            "priorPrescription": (
                {"reference": f"MedicationRequest/{order.prior_id}"} if order.prior_id else None
            ),
        }
        return _compact(resource)


# --- MedicationAdministration ---------------------------------------------------------------

ADMINISTRATION_STATUSES = frozenset(
    {"in-progress", "not-done", "on-hold", "completed", "entered-in-error", "stopped"} | {"unknown"}
)
ADMIN_CATEGORY = "http://terminology.hl7.org/CodeSystem/medication-admin-category"


def _administrations(access: ApiAccess) -> QuerySet[Administration]:
    """Each dose with its FHIR status in the query: an infusion still running is in progress;
    a dose stopped early (the session aborted while dosing, or drug left undelivered and
    wasted) is stopped; everything else given is completed."""
    dose = Q(kind=AdministrationKind.DOSE)
    running = dose & Q(route=Route.IV, stopped_at__isnull=True, session__status=DosingStatus.DOSING)
    cut_short = dose & (
        Q(undelivered_mg__gt=0)
        | Q(session__status=DosingStatus.ABORTED, session__dose_ended_at__isnull=True)
    )
    return (
        Administration.objects.filter(
            clinic=access.actor.clinic, session__in=sessions_visible_to(access.actor)
        )
        .select_related("session", "session__dose_order")
        .annotate(
            fhir_status=Case(
                When(running, then=Value("in-progress")),
                When(cut_short, then=Value("stopped")),
                default=Value("completed"),
                output_field=CharField(),
            )
        )
    )


def _dosage(given: Administration) -> dict:
    if given.kind == AdministrationKind.RESCUE:
        return _compact(
            {"text": f"{given.medication} {given.rescue_dose}", "route": route(given.route)}
        )
    dosage = {
        "text": str(given),
        "route": route(given.route),
        "site": {"text": str(Site(given.site).label)} if given.site else None,
        "dose": quantity(given.given_mg, "mg"),
        "rateQuantity": (
            quantity(given.rate_mg_per_hour, "mg/h") if given.rate_mg_per_hour else None
        ),
    }
    return _compact(dosage)


def _effective(given: Administration) -> dict:
    if given.is_infusion:
        period = {"start": given.started_at.isoformat()}
        if given.stopped_at:
            period["end"] = given.stopped_at.isoformat()
        return {"effectivePeriod": period}
    return {"effectiveDateTime": given.started_at.isoformat()}


@register
class MedicationAdministrationType(ResourceType):
    name = "MedicationAdministration"
    documentation = (
        "A medicine given in a dosing session: the ketamine or esketamine dose (with the "
        "order it was given under) or a rescue medication given for an adverse event."
    )
    params = (
        *_patient_params("session__client_id"),
        _status_param(ADMINISTRATION_STATUSES),
        search.date("effective-time", "When it was given.", "started_at"),
        search.date("date", "When it was given (as effective-time).", "started_at"),
        dosing_session_param(
            "context", "The dosing session (Encounter/dosing-<id>).", "session_id"
        ),
        dosing_session_param("encounter", "The dosing session (as context).", "session_id"),
        search.reference(
            "request", "The dose order.", "session__dose_order_id", "MedicationRequest"
        ),
        search.reference("performer", "Who gave it.", "administered_by_id", "Practitioner"),
    )
    sorts = {"effective-time": "started_at", "date": "started_at"}
    default_sort = ("-started_at",)

    def visible(self, access: ApiAccess) -> QuerySet[Administration]:
        return _administrations(access)

    def client_id(self, given: Administration) -> int:
        return given.session.client_id

    def to_fhir(self, given: Administration) -> dict:
        session = given.session
        if given.kind == AdministrationKind.DOSE:
            assert session.dose_order is not None  # a dose is given under the session's order
            drug = medication(session.dose_order.product)
            request = {"reference": f"MedicationRequest/{session.dose_order_id}"}
        else:
            drug, request = {"text": given.medication}, None
        resource = {
            "resourceType": "MedicationAdministration",
            "id": str(given.pk),
            "status": given.fhir_status,
            "category": {"coding": [{"system": ADMIN_CATEGORY, "code": "outpatient"}]},
            "medicationCodeableConcept": drug,
            "subject": {"reference": f"Patient/{session.client_id}"},
            "context": dosing_reference(session.pk),
            **_effective(given),
            "performer": [{"actor": {"reference": f"Practitioner/{given.administered_by_id}"}}],
            "request": request,
            "supportingInformation": (
                [{"reference": f"AdverseEvent/{given.adverse_event_id}"}]
                if given.adverse_event_id
                else None
            ),
            "note": _text(given.note),
            "dosage": _dosage(given),
        }
        return _compact(resource)
