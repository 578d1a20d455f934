"""Dosing sessions walked through the real services, and reading the FHIR answers about them:
shared by the FHIR dosing tests."""

from fhir.resources.R4B.bundle import Bundle

from kapcare.accounts.models import Role
from kapcare.dosing import services
from kapcare.dosing.models import DosingStatus
from kapcare.dosing.monitoring_rules import DISCHARGE_CRITERIA
from tests.dosing.helpers import (
    GOOD_CHECK,
    ago,
    chair,
    give_dose,
    in_monitoring,
    iv_order,
    products,
    questionnaires,
    receive,
)
from tests.factories import ClientFactory, put_on_team
from tests.pathway import actor, ready_course

S = DosingStatus
NORMAL = {"systolic": 126, "diastolic": 80, "heart_rate": 74, "spo2": 98}


def read_resource(http, path: str, model):
    response = http.get(f"/fhir/{path}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return model.model_validate(response.json()), response.json()


def search_bundle(http, path: str, query=None) -> dict:
    response = http.get(f"/fhir/{path}", query or {})
    assert response.status_code == 200, response.content
    Bundle.model_validate(response.json())
    return response.json()


def ids_of(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def discharged(clinic, staff, client):
    ctx = chair(clinic, staff, client, checked_minutes_ago=110)
    give_dose(clinic, staff, ctx, minutes_ago=100)
    services.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(60))
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(2), values=NORMAL
    )
    services.discharge_session(
        actor=ctx["nurse"],
        session=ctx["session"],
        discharged_at=ago(0),
        criteria=dict.fromkeys(DISCHARGE_CRITERIA, True),
        summary="Settled; walked out with partner.",
        aftercare_instructions="No driving until tomorrow.",
    )
    ctx["session"].refresh_from_db()
    return ctx


def scheduled(clinic, staff, client):
    course = ready_course(clinic=clinic, staff=staff, client=client)
    nurse = actor(staff["nurse"], clinic)
    session = services.schedule_session(actor=nurse, course=course, scheduled_for=ago(-60 * 24))
    return {"course": course, "session": session, "nurse": nurse}


def checked_in(clinic, staff, client):
    return chair(clinic, staff, client, check=False, measures=False)


def dosing(clinic, staff, client):
    ctx = chair(clinic, staff, client)
    give_dose(clinic, staff, ctx)
    return ctx


def aborted(clinic, staff, client):
    ctx = chair(clinic, staff, client)
    services.abort_session(actor=ctx["nurse"], session=ctx["session"], reason="BP too high.")
    return ctx


STATES = {
    S.SCHEDULED: (scheduled, "planned"),
    S.CHECKED_IN: (checked_in, "arrived"),
    S.PRE_DOSE_CHECKS: (chair, "in-progress"),
    S.DOSING: (dosing, "in-progress"),
    S.MONITORING: (in_monitoring, "in-progress"),
    S.DISCHARGED: (discharged, "finished"),
    S.ABORTED: (aborted, "cancelled"),
}


def adverse_event(ctx, severity="mild", **extra):
    return services.record_adverse_event(
        actor=ctx["nurse"],
        session=ctx["session"],
        occurred_at=ago(30),
        kind="nausea",
        severity=severity,
        description="Nauseous, vomited once.",
        action_taken="Ondansetron given.",
        outcome="resolved",
        **extra,
    )


# --- bounded queries --------------------------------------------------------------------------

SEARCHES = ("Encounter", "MedicationRequest", "MedicationAdministration", "AdverseEvent")
# Token, roles and audit (6), then the type's count, page and prefetches. An Encounter page
# reads each of its three tables: a count, the sort keys and the rows of the page.
QUERY_BOUND = {"Encounter": 16, "MedicationRequest": 7, "MedicationAdministration": 7}
QUERY_BOUND["AdverseEvent"] = 8


def monitored_clients(clinic, staff, n: int) -> None:
    """n clients of the nurse's, each in monitoring after a dose with an adverse event and a
    rescue medication: the steps of `in_monitoring`, sharing one stock of vials."""
    kit = products(clinic)
    lot = receive(clinic, staff, kit["vial"], kit["safe"], 500 * n)
    nurse = actor(staff[Role.NURSE], clinic)
    for index in range(n):
        client = ClientFactory(clinic=clinic, last_name=f"Moss{index}")
        for role in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE):
            put_on_team(client, staff[role], role)
        course = ready_course(clinic=clinic, staff=staff, client=client)
        iv_order(clinic, staff, course)
        session = services.schedule_session(actor=nurse, course=course, scheduled_for=ago(150))
        services.check_in(actor=nurse, session=session, at=ago(115))
        questionnaires(clinic, staff, client, course, at=ago(112))
        services.record_pre_dose_check(
            actor=nurse, session=session, data=GOOD_CHECK, recorded_at=ago(110)
        )
        ctx = {"nurse": nurse, "session": session, "lot": lot, "kit": kit}
        give_dose(clinic, staff, ctx, minutes_ago=100)
        services.complete_dosing(actor=nurse, session=session, ended_at=ago(60))
        adverse_event(ctx, rescue_medication="Ondansetron", rescue_dose="4 mg")
