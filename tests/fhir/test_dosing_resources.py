"""FHIR Encounter, MedicationRequest, MedicationAdministration and AdverseEvent over the
dosing side of a course, with sessions walked through the real services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as DjangoClient
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.courses.models import NoteKind
from kapcare.courses.services.notes import create_note, sign_note
from kapcare.dosing import services
from kapcare.dosing.models import DosingStatus
from kapcare.dosing.monitoring_rules import DISCHARGE_CRITERIA
from tests.api_helpers import bearer
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
from tests.factories import ClientFactory, make_staff, put_on_team
from tests.pathway import actor, ready_course

pytestmark = pytest.mark.django_db

S = DosingStatus
NORMAL = {"systolic": 126, "diastolic": 80, "heart_rate": 74, "spo2": 98}


def _read(http, path: str, model):
    response = http.get(f"/fhir/{path}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return model.model_validate(response.json()), response.json()


def _search(http, path: str, query=None) -> dict:
    response = http.get(f"/fhir/{path}", query or {})
    assert response.status_code == 200, response.content
    Bundle.model_validate(response.json())
    return response.json()


def _ids(bundle: dict) -> list[str]:
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


def _scheduled(clinic, staff, client):
    course = ready_course(clinic=clinic, staff=staff, client=client)
    nurse = actor(staff["nurse"], clinic)
    session = services.schedule_session(actor=nurse, course=course, scheduled_for=ago(-60 * 24))
    return {"course": course, "session": session, "nurse": nurse}


def _checked_in(clinic, staff, client):
    return chair(clinic, staff, client, check=False, measures=False)


def _dosing(clinic, staff, client):
    ctx = chair(clinic, staff, client)
    give_dose(clinic, staff, ctx)
    return ctx


def _aborted(clinic, staff, client):
    ctx = chair(clinic, staff, client)
    services.abort_session(actor=ctx["nurse"], session=ctx["session"], reason="BP too high.")
    return ctx


STATES = {
    S.SCHEDULED: (_scheduled, "planned"),
    S.CHECKED_IN: (_checked_in, "arrived"),
    S.PRE_DOSE_CHECKS: (chair, "in-progress"),
    S.DOSING: (_dosing, "in-progress"),
    S.MONITORING: (in_monitoring, "in-progress"),
    S.DISCHARGED: (discharged, "finished"),
    S.ABORTED: (_aborted, "cancelled"),
}


# --- Encounter --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(STATES))
def test_each_session_state_is_a_valid_encounter(clinic, staff, client_record, state):
    build, expected = STATES[state]
    ctx = build(clinic, staff, client_record)
    session = ctx["session"]
    session.refresh_from_db()
    assert session.status == state
    http = bearer(staff[Role.NURSE], clinic, "user/Encounter.rs")

    encounter, raw = _read(http, f"Encounter/dosing-{session.pk}", Encounter)

    assert encounter.status == expected
    assert encounter.class_fhir.code == "AMB"
    assert encounter.type[0].coding[0].code == "dosing"
    assert encounter.type[0].coding[0].system == "urn:kapcare:encounter-type"
    assert encounter.subject.reference == f"Patient/{client_record.pk}"
    assert encounter.episodeOfCare[0].reference == f"EpisodeOfCare/{ctx['course'].pk}"
    assert encounter.serviceProvider.reference == f"Organization/{clinic.pk}"
    assert encounter.statusHistory[-1].status == expected
    if state == S.SCHEDULED:
        assert not raw.get("participant")
        assert encounter.period.start == session.scheduled_for
    else:
        assert encounter.period.start == session.checked_in_at
        people = {p.individual.reference: p for p in encounter.participant}
        nurse = people[f"Practitioner/{staff[Role.NURSE].pk}"]
        codes = {c.code for t in nurse.type for c in (t.coding or [])}
        assert "ADM" in codes
        if state in (S.DOSING, S.MONITORING, S.DISCHARGED):
            assert "PPRF" in codes
        if state == S.DISCHARGED:
            assert "DIS" in codes and encounter.period.end == session.discharged_at
    if state == S.ABORTED:
        assert encounter.period.end == session.aborted_at
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="fhir.Encounter", client=client_record
    ).exists()


def _integration(clinic, staff, course, session, *, sign=True):
    therapist = actor(staff[Role.THERAPIST], clinic)
    note = create_note(
        actor=therapist,
        course=course,
        kind=NoteKind.INTEGRATION,
        session_date=clinic.today(),
        dosing_session_id=session.pk,
        content={},
        free_text="Talked through the images that came up.",
    )
    return sign_note(actor=therapist, note=note) if sign else note


def test_signed_preparation_and_integration_notes_are_finished_encounters(
    clinic, staff, client_record
):
    ctx = discharged(clinic, staff, client_record)
    course, session = ctx["course"], ctx["session"]
    integration = _integration(clinic, staff, course, session)
    prep = course.notes.get(kind=NoteKind.PREPARATION)
    http = bearer(staff[Role.THERAPIST], clinic, "user/Encounter.rs")

    bundle = _search(http, "Encounter", {"patient": client_record.pk})

    assert bundle["total"] == 3
    assert set(_ids(bundle)) == {
        f"prep-{prep.pk}",
        f"dosing-{session.pk}",
        f"integration-{integration.pk}",
    }
    encounter, _ = _read(http, f"Encounter/integration-{integration.pk}", Encounter)
    assert encounter.status == "finished"
    assert encounter.type[0].coding[0].code == "integration"
    assert encounter.period.start == clinic.today()
    assert encounter.participant[0].individual.reference == (
        f"Practitioner/{staff[Role.THERAPIST].pk}"
    )
    # The therapist's signed notes only: ids of one part never open another part's rows.
    assert http.get(f"/fhir/Encounter/prep-{integration.pk}").status_code == 404
    assert http.get(f"/fhir/Encounter/{session.pk}").status_code == 404


def test_a_draft_note_is_not_an_encounter(clinic, staff, client_record):
    ctx = discharged(clinic, staff, client_record)
    draft = _integration(clinic, staff, ctx["course"], ctx["session"], sign=False)
    http = bearer(staff[Role.THERAPIST], clinic, "user/Encounter.rs")

    bundle = _search(http, "Encounter", {"type": "integration"})

    assert bundle["total"] == 0
    assert http.get(f"/fhir/Encounter/integration-{draft.pk}").status_code == 404


def test_encounter_search_parameters(clinic, staff, client_record):
    ctx = discharged(clinic, staff, client_record)
    course, done = ctx["course"], ctx["session"]
    later = services.schedule_session(
        actor=ctx["nurse"], course=course, scheduled_for=ago(-60 * 24 * 7)
    )
    prep = course.notes.get(kind=NoteKind.PREPARATION)
    http = bearer(staff[Role.NURSE], clinic, "user/*.rs")
    dosing, planned = f"dosing-{done.pk}", f"dosing-{later.pk}"

    assert _ids(_search(http, "Encounter", {"_sort": "-date"})) == [
        planned,
        dosing,
        f"prep-{prep.pk}",
    ]
    assert _ids(_search(http, "Encounter", {"_sort": "date"})) == [
        f"prep-{prep.pk}",
        dosing,
        planned,
    ]
    assert _ids(_search(http, "Encounter", {"status": "planned"})) == [planned]
    assert _ids(_search(http, "Encounter", {"status": "finished", "type": "dosing"})) == [dosing]
    assert set(_ids(_search(http, "Encounter", {"status": "finished,planned"}))) == {
        dosing,
        planned,
        f"prep-{prep.pk}",
    }
    typed = {"type": "urn:kapcare:encounter-type|preparation"}
    assert _ids(_search(http, "Encounter", typed)) == [f"prep-{prep.pk}"]
    tomorrow = (clinic.today() + dt.timedelta(days=1)).isoformat()
    assert _ids(_search(http, "Encounter", {"date": f"ge{tomorrow}"})) == [planned]
    assert set(_ids(_search(http, "Encounter", {"date": f"lt{tomorrow}"}))) == {
        dosing,
        f"prep-{prep.pk}",
    }
    assert _ids(_search(http, "Encounter", {"_id": f"{dosing},prep-{prep.pk + 1000}"})) == [dosing]
    assert (
        _search(http, "Encounter", {"episode-of-care": f"EpisodeOfCare/{course.pk}"})["total"] == 3
    )
    assert _search(http, "Encounter", {"episode-of-care": course.pk + 1})["total"] == 0
    assert _search(http, "Encounter", {"subject": f"Patient/{client_record.pk}"})["total"] == 3

    # Paging runs across the parts in date order, with next links.
    first = _search(http, "Encounter", {"_sort": "-date", "_count": 2})
    assert _ids(first) == [planned, dosing]
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert _ids(http.get(following).json()) == [f"prep-{prep.pk}"]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "done"},
        {"type": "urn:kapcare:encounter-type|walk"},
        {"date": "tomorrow"},
        {"patient": "not a reference"},
        {"_sort": "status"},
        {"location": "x"},
    ],
)
def test_bad_encounter_search_is_400(clinic, staff, query):
    http = bearer(staff[Role.NURSE], clinic, "user/*.rs")
    response = http.get("/fhir/Encounter", query)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_encounters_only_for_clients_seen_clinically(clinic, staff, client_record):
    ctx = discharged(clinic, staff, client_record)
    session = ctx["session"]
    outsider = make_staff(clinic, Role.NURSE, full_name="Other Nurse")
    http = bearer(outsider, clinic, "user/*.rs")
    assert _search(http, "Encounter")["total"] == 0
    assert http.get(f"/fhir/Encounter/dosing-{session.pk}").status_code == 404
    # Front desk sees the client but nothing clinical; an admin's integration token sees all.
    desk = bearer(staff[Role.FRONT_DESK], clinic, "user/*.rs")
    assert _search(desk, "Encounter")["total"] == 0
    system = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    assert _search(system, "Encounter")["total"] == 2
    assert (
        bearer(staff[Role.NURSE], clinic, "user/Patient.rs").get("/fhir/Encounter").status_code
        == 403
    )


# --- MedicationRequest ------------------------------------------------------------------------


def test_dose_orders_as_medication_requests(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    course, nurse = ctx["course"], ctx["nurse"]
    first = course.dose_orders.get()
    prescriber = actor(staff[Role.PRESCRIBER], clinic)
    second = iv_order(clinic, staff, course, sessions_authorised=1)
    give_dose(clinic, staff, ctx)
    http = bearer(staff[Role.THERAPIST], clinic, "user/MedicationRequest.rs")

    request, _ = _read(http, f"MedicationRequest/{second.pk}", MedicationRequest)
    assert request.status == "completed"  # its one session is used
    assert request.intent == "order"
    coding = request.medicationCodeableConcept.coding[0]
    assert (coding.system, coding.code) == ("http://www.nlm.nih.gov/research/umls/rxnorm", "6130")
    instruction = request.dosageInstruction[0]
    assert instruction.route.coding[0].code == "47625008"
    dose = instruction.doseAndRate[0].doseQuantity
    assert (dose.value, dose.code, dose.system) == (
        Decimal("0.5"),
        "mg/kg",
        "http://unitsofmeasure.org",
    )
    assert instruction.timing.repeat.count == 1 and instruction.timing.repeat.duration == 40
    assert request.requester.reference == f"Practitioner/{staff[Role.PRESCRIBER].pk}"
    assert request.subject.reference == f"Patient/{client_record.pk}"
    assert request.priorPrescription.reference == f"MedicationRequest/{first.pk}"

    replaced, _ = _read(http, f"MedicationRequest/{first.pk}", MedicationRequest)
    assert replaced.status == "stopped" and "later" in replaced.statusReason.text

    third = iv_order(clinic, staff, course, dose_mg=Decimal("40"), dose_mg_per_kg=None)
    assert _read(http, f"MedicationRequest/{third.pk}", MedicationRequest)[0].status == "active"
    services.cancel_dose_order(actor=prescriber, order=third, reason="Plan changed.")
    services.cancel_dose_order(actor=prescriber, order=second, reason="Course ends.")
    cancelled, raw = _read(http, f"MedicationRequest/{third.pk}", MedicationRequest)
    assert cancelled.status == "cancelled" and cancelled.statusReason.text == "Plan changed."
    assert raw["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
    # Cancelled after its dose was given: stopped, not cancelled.
    assert _read(http, f"MedicationRequest/{second.pk}", MedicationRequest)[0].status == "stopped"
    # With both later orders cancelled the first is the course's current order again.
    assert _read(http, f"MedicationRequest/{first.pk}", MedicationRequest)[0].status == "active"

    assert _ids(_search(http, "MedicationRequest", {"status": "active"})) == [str(first.pk)]
    assert _ids(_search(http, "MedicationRequest", {"status": "stopped,cancelled"})) == [
        str(third.pk),
        str(second.pk),
    ]
    assert _search(http, "MedicationRequest", {"patient": client_record.pk})["total"] == 3
    assert (
        _search(http, "MedicationRequest", {"code": "6130", "authoredon": "ge2020"})["total"] == 3
    )
    assert _search(http, "MedicationRequest", {"date": "lt2020"})["total"] == 0
    assert http.get("/fhir/MedicationRequest", {"status": "paused"}).status_code == 400
    assert nurse  # the nurse gave the dose the second order authorised


def test_medication_requests_only_for_the_care_team(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    order = ctx["course"].dose_orders.get()
    outsider = bearer(make_staff(clinic, Role.PRESCRIBER), clinic, "user/*.rs")
    assert _search(outsider, "MedicationRequest")["total"] == 0
    assert outsider.get(f"/fhir/MedicationRequest/{order.pk}").status_code == 404


# --- MedicationAdministration -----------------------------------------------------------------


def test_the_dose_as_a_medication_administration(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    session = ctx["session"]
    given = session.administrations.get()
    http = bearer(staff[Role.THERAPIST], clinic, "user/MedicationAdministration.rs")

    dose, _ = _read(http, f"MedicationAdministration/{given.pk}", MedicationAdministration)

    assert dose.status == "completed"
    assert dose.medicationCodeableConcept.coding[0].code == "6130"
    assert dose.subject.reference == f"Patient/{client_record.pk}"
    assert dose.context.reference == f"Encounter/dosing-{session.pk}"
    assert dose.request.reference == f"MedicationRequest/{session.dose_order_id}"
    assert dose.performer[0].actor.reference == f"Practitioner/{staff[Role.NURSE].pk}"
    assert dose.effectivePeriod.start == given.started_at
    assert dose.effectivePeriod.end == session.dose_ended_at
    assert dose.dosage.dose.value == Decimal("36") and dose.dosage.dose.code == "mg"
    assert dose.dosage.rateQuantity.code == "mg/h"
    assert dose.dosage.route.coding[0].code == "47625008"
    assert dose.dosage.site.text

    found = _search(
        http, "MedicationAdministration", {"encounter": f"Encounter/dosing-{session.pk}"}
    )
    assert _ids(found) == [str(given.pk)]
    assert (
        _search(http, "MedicationAdministration", {"context": "Encounter/dosing-0"})["total"] == 0
    )
    assert (
        _search(http, "MedicationAdministration", {"status": "completed", "date": "ge2020"})[
            "total"
        ]
        == 1
    )
    assert _search(http, "MedicationAdministration", {"status": "in-progress"})["total"] == 0


def test_a_running_infusion_and_an_aborted_one(clinic, staff, client_record):
    ctx = _dosing(clinic, staff, client_record)
    given = ctx["session"].administrations.get()
    http = bearer(staff[Role.NURSE], clinic, "user/*.rs")
    running, _ = _read(http, f"MedicationAdministration/{given.pk}", MedicationAdministration)
    assert running.status == "in-progress" and running.effectivePeriod.end is None

    services.abort_session(actor=ctx["nurse"], session=ctx["session"], reason="Chest pain.")

    stopped, _ = _read(http, f"MedicationAdministration/{given.pk}", MedicationAdministration)
    assert stopped.status == "stopped" and stopped.effectivePeriod.end is not None
    assert _ids(_search(http, "MedicationAdministration", {"status": "stopped"})) == [str(given.pk)]


def _event(ctx, severity="mild", **extra):
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


def test_a_rescue_medication_is_an_administration_too(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    event = _event(ctx, rescue_medication="Ondansetron", rescue_dose="4 mg", rescue_route="oral")
    rescue = event.rescue_medications.get()
    http = bearer(staff[Role.NURSE], clinic, "user/*.rs")

    given, _ = _read(http, f"MedicationAdministration/{rescue.pk}", MedicationAdministration)

    assert given.status == "completed" and given.medicationCodeableConcept.text == "Ondansetron"
    assert given.dosage.text == "Ondansetron 4 mg" and given.dosage.route.text == "oral"
    assert given.supportingInformation[0].reference == f"AdverseEvent/{event.pk}"
    assert given.request is None and given.effectiveDateTime == rescue.started_at
    assert _search(http, "MedicationAdministration", {"patient": client_record.pk})["total"] == 2


# --- AdverseEvent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "seriousness", "fhir_severity"),
    [
        ("mild", "Non-serious", "mild"),
        ("moderate", "Non-serious", "moderate"),
        ("severe", "Serious", "severe"),
        ("life_threatening", "SeriousIsLifeThreatening", "severe"),
    ],
)
def test_adverse_events(clinic, staff, client_record, severity, seriousness, fhir_severity):
    ctx = in_monitoring(clinic, staff, client_record)
    event = _event(ctx, severity)
    session = ctx["session"]
    http = bearer(staff[Role.THERAPIST], clinic, "user/AdverseEvent.rs")

    found, _ = _read(http, f"AdverseEvent/{event.pk}", AdverseEvent)

    assert found.actuality == "actual"
    assert found.event.coding[0].code == "nausea" and found.event.text == event.description
    assert found.subject.reference == f"Patient/{client_record.pk}"
    assert found.encounter.reference == f"Encounter/dosing-{session.pk}"
    assert found.date == event.occurred_at
    assert found.seriousness.coding[0].code == seriousness
    assert found.severity.coding[0].code == fhir_severity
    assert found.outcome.coding[0].code == "resolved"
    assert found.recorder.reference == f"Practitioner/{staff[Role.NURSE].pk}"
    dose = session.administrations.get(kind="dose")
    assert found.suspectEntity[0].instance.reference == f"MedicationAdministration/{dose.pk}"

    assert _search(http, "AdverseEvent", {"seriousness": seriousness})["total"] == 1
    assert (
        _search(http, "AdverseEvent", {"severity": fhir_severity, "event": "nausea"})["total"] == 1
    )
    assert (
        _search(http, "AdverseEvent", {"encounter": f"Encounter/dosing-{session.pk}"})["total"] == 1
    )
    assert (
        _search(http, "AdverseEvent", {"date": "lt2020", "patient": client_record.pk})["total"] == 0
    )
    assert http.get("/fhir/AdverseEvent", {"severity": "awful"}).status_code == 400


def test_adverse_events_only_for_the_care_team(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    event = _event(ctx)
    outsider = bearer(make_staff(clinic, Role.NURSE), clinic, "user/*.rs")
    assert _search(outsider, "AdverseEvent")["total"] == 0
    assert outsider.get(f"/fhir/AdverseEvent/{event.pk}").status_code == 404
    assert _search(outsider, "MedicationAdministration")["total"] == 0


# --- bounded queries --------------------------------------------------------------------------

SEARCHES = ("Encounter", "MedicationRequest", "MedicationAdministration", "AdverseEvent")
# Token, roles and audit (6), then the type's count, page and prefetches. An Encounter page
# reads each of its three tables: a count, the sort keys and the rows of the page.
QUERY_BOUND = {"Encounter": 16, "MedicationRequest": 7, "MedicationAdministration": 7}
QUERY_BOUND["AdverseEvent"] = 8


def _monitored_clients(clinic, staff, n: int) -> None:
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
        _event(ctx, rescue_medication="Ondansetron", rescue_dose="4 mg")


@pytest.mark.parametrize("clients", [2, 10])
def test_a_search_page_costs_the_same_queries_at_2_and_10_rows(
    clinic, staff, django_assert_max_num_queries, clients
):
    _monitored_clients(clinic, staff, clients)
    http = bearer(staff[Role.NURSE], clinic, "user/*.rs")
    for name in SEARCHES:
        with django_assert_max_num_queries(QUERY_BOUND[name]):
            bundle = http.get(f"/fhir/{name}", {"_count": 100}).json()
        assert bundle["total"] >= clients, name
        assert len(bundle["entry"]) == bundle["total"], name


def test_metadata_lists_the_dosing_types(db):
    statement = DjangoClient().get("/fhir/metadata").json()
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(SEARCHES) <= set(types)
    names = {p["name"] for p in types["Encounter"]["searchParam"]}
    assert {"_id", "patient", "date", "status", "type", "episode-of-care"} <= names
