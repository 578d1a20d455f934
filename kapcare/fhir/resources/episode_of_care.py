"""EpisodeOfCare: a client's treatment course (kapcare.courses.TreatmentCourse).

The course's own states are finer than FHIR's: each maps to an EpisodeOfCare.status, and the
kapcare state itself rides along as an extension coding (urn:kapcare:course-state) so nothing
is lost. Clinical: visible for the clients whose clinical record the token's user may see.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.conditions import Condition
from kapcare.clients.permissions import ClientAction, clients_visible_to
from kapcare.courses.models import CourseStatus, CourseStatusChange, TreatmentCourse
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import Include, ResourceType, register

COURSE_STATE = "urn:kapcare:course-state"
CONDITION_SYSTEM = "urn:kapcare:condition"

S = CourseStatus
# FHIR EpisodeOfCare.status for each course state (kapcare.courses.states): before treatment
# begins the course is planned; a discontinued course ends without being completed.
FHIR_STATUS: dict[str, str] = {
    S.SCREENING: "planned",
    S.AWAITING_CONSENT: "planned",
    S.PREPARATION: "active",
    S.ACTIVE: "active",
    S.PAUSED: "onhold",
    S.COMPLETED: "finished",
    S.DISCONTINUED: "cancelled",
}
EPISODE_STATUSES = ("planned", "waitlist", "active", "onhold", "finished", "cancelled")


def state_coding(status: str) -> dict:
    return {"system": COURSE_STATE, "code": status, "display": str(CourseStatus(status).label)}


def _status(system: str | None, code: str) -> Q:
    """A FHIR status (`active`), or a kapcare state (`urn:kapcare:course-state|paused`)."""
    if system == COURSE_STATE:
        if code not in CourseStatus.values:
            known = ", ".join(CourseStatus.values)
            raise FhirError(
                400, f"status={system}|{code}: not one of {known}.", expression="status"
            )
        return Q(status=code)
    if system not in (None, ""):
        return Q(pk__in=[])
    if code not in EPISODE_STATUSES and code != "entered-in-error":
        known = ", ".join(EPISODE_STATUSES)
        raise FhirError(400, f"status={code} is not one of: {known}.", expression="status")
    return Q(status__in=[state for state, fhir in FHIR_STATUS.items() if fhir == code])


def status_history(changes: list[CourseStatusChange]) -> list[dict]:
    """Each FHIR status the course was in, with when; steps inside one FHIR status merge."""
    history: list[dict] = []
    for change in changes:
        status = FHIR_STATUS[change.to_status]
        at = change.changed_at.isoformat()
        if history and history[-1]["status"] == status:
            continue
        if history:
            history[-1]["period"]["end"] = at
        history.append({"status": status, "period": {"start": at}})
    return history


@register
class EpisodeOfCareType(ResourceType):
    name = "EpisodeOfCare"
    documentation = (
        "A client's treatment course. status is the FHIR status; the kapcare course state is "
        f"the extension {COURSE_STATE} (search it as status={COURSE_STATE}|paused)."
    )
    params = (
        search.reference("patient", "The client.", "client_id", "Patient"),
        search.token("status", "FHIR status, or a kapcare course state.", _status),
        search.date("date", "When the course opened (period start).", "opened_at"),
    )
    sorts = {"date": "opened_at", "status": "status"}
    default_sort = ("-opened_at",)
    includes = (Include("patient", "Patient", lambda rows: [row.client for row in rows]),)

    def visible(self, access: ApiAccess) -> QuerySet[TreatmentCourse]:
        clinical = clients_visible_to(access.actor, ClientAction.VIEW_CLINICAL)
        history = CourseStatusChange.objects.order_by("changed_at", "id")
        return (
            TreatmentCourse.objects.filter(clinic_id=access.actor.clinic_id, client__in=clinical)
            .select_related("client")
            .prefetch_related(Prefetch("history", queryset=history))
        )

    def to_fhir(self, row: TreatmentCourse) -> dict:
        period = {"start": row.opened_at.isoformat()}
        if row.closed_at:
            period["end"] = row.closed_at.isoformat()
        condition = str(Condition(row.condition).label)
        resource = {
            "resourceType": "EpisodeOfCare",
            "id": str(row.pk),
            "extension": [{"url": COURSE_STATE, "valueCoding": state_coding(row.status)}],
            "status": FHIR_STATUS[row.status],
            "statusHistory": status_history(list(row.history.all())) or None,
            "type": [
                {
                    "coding": [
                        {"system": CONDITION_SYSTEM, "code": row.condition, "display": condition}
                    ],
                    "text": f"Ketamine-assisted psychotherapy course: {condition}",
                }
            ],
            "patient": {"reference": f"Patient/{row.client_id}"},
            "managingOrganization": {"reference": f"Organization/{row.clinic_id}"},
            "period": period,
            # The client's care team is the team for their course (CareTeam id = client id).
            "team": [{"reference": f"CareTeam/{row.client_id}"}],
        }
        return {k: v for k, v in resource.items() if v is not None}
