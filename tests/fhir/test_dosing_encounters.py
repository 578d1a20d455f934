"""FHIR Encounter: dosing sessions in every state, and preparation and integration sessions
from their signed notes."""

import datetime as dt

import pytest
from fhir.resources.R4B.encounter import Encounter

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.courses.models import NoteKind
from kapcare.courses.services.notes import create_note, sign_note
from kapcare.dosing import services
from kapcare.dosing.models import DosingStatus
from tests.api_helpers import bearer
from tests.dosing.helpers import ago, in_monitoring
from tests.factories import make_staff
from tests.fhir.dosing_helpers import STATES, discharged, ids_of, read_resource, search_bundle
from tests.pathway import actor

pytestmark = pytest.mark.django_db

S = DosingStatus

# --- Encounter --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(STATES))
def test_each_session_state_is_a_valid_encounter(clinic, staff, client_record, state):
    build, expected = STATES[state]
    ctx = build(clinic, staff, client_record)
    session = ctx["session"]
    session.refresh_from_db()
    assert session.status == state
    http = bearer(staff[Role.NURSE], clinic, "user/Encounter.rs")

    encounter, raw = read_resource(http, f"Encounter/dosing-{session.pk}", Encounter)

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

    bundle = search_bundle(http, "Encounter", {"patient": client_record.pk})

    assert bundle["total"] == 3
    listed = AuditEvent.objects.filter(object_type="fhir.Encounter").latest("id")
    assert listed.action == AuditAction.LIST
    assert listed.details["client_ids"] == [client_record.pk]
    assert set(ids_of(bundle)) == {
        f"prep-{prep.pk}",
        f"dosing-{session.pk}",
        f"integration-{integration.pk}",
    }
    encounter, _ = read_resource(http, f"Encounter/integration-{integration.pk}", Encounter)
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

    bundle = search_bundle(http, "Encounter", {"type": "integration"})

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

    assert ids_of(search_bundle(http, "Encounter", {"_sort": "-date"})) == [
        planned,
        dosing,
        f"prep-{prep.pk}",
    ]
    assert ids_of(search_bundle(http, "Encounter", {"_sort": "date"})) == [
        f"prep-{prep.pk}",
        dosing,
        planned,
    ]
    assert ids_of(search_bundle(http, "Encounter", {"status": "planned"})) == [planned]
    assert ids_of(search_bundle(http, "Encounter", {"status": "finished", "type": "dosing"})) == [
        dosing
    ]
    assert set(ids_of(search_bundle(http, "Encounter", {"status": "finished,planned"}))) == {
        dosing,
        planned,
        f"prep-{prep.pk}",
    }
    typed = {"type": "urn:kapcare:encounter-type|preparation"}
    assert ids_of(search_bundle(http, "Encounter", typed)) == [f"prep-{prep.pk}"]
    tomorrow = (clinic.today() + dt.timedelta(days=1)).isoformat()
    assert ids_of(search_bundle(http, "Encounter", {"date": f"ge{tomorrow}"})) == [planned]
    assert set(ids_of(search_bundle(http, "Encounter", {"date": f"lt{tomorrow}"}))) == {
        dosing,
        f"prep-{prep.pk}",
    }
    assert ids_of(search_bundle(http, "Encounter", {"_id": f"{dosing},prep-{prep.pk + 1000}"})) == [
        dosing
    ]
    assert (
        search_bundle(http, "Encounter", {"episode-of-care": f"EpisodeOfCare/{course.pk}"})["total"]
        == 3
    )
    assert search_bundle(http, "Encounter", {"episode-of-care": course.pk + 1})["total"] == 0
    assert (
        search_bundle(http, "Encounter", {"subject": f"Patient/{client_record.pk}"})["total"] == 3
    )

    # Paging runs across the parts in date order, with next links.
    first = search_bundle(http, "Encounter", {"_sort": "-date", "_count": 2})
    assert ids_of(first) == [planned, dosing]
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert ids_of(http.get(following).json()) == [f"prep-{prep.pk}"]


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
    assert search_bundle(http, "Encounter")["total"] == 0
    assert http.get(f"/fhir/Encounter/dosing-{session.pk}").status_code == 404
    # Front desk sees the client but nothing clinical; an admin's integration token sees all.
    desk = bearer(staff[Role.FRONT_DESK], clinic, "user/*.rs")
    assert search_bundle(desk, "Encounter")["total"] == 0
    system = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    assert search_bundle(system, "Encounter")["total"] == 2
    assert (
        bearer(staff[Role.NURSE], clinic, "user/Patient.rs").get("/fhir/Encounter").status_code
        == 403
    )


def test_the_prescriber_and_the_therapist_take_part(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    session = ctx["session"]
    services.save_session_note(
        actor=actor(staff[Role.THERAPIST], clinic),
        session=session,
        prompts_offered="Breath, body scan.",
        client_reports="Floating, calm.",
        insights="Return to the image of the lake.",
        based_on_revision=0,
    )
    http = bearer(staff[Role.THERAPIST], clinic, "user/Encounter.rs")

    encounter, _ = read_resource(http, f"Encounter/dosing-{session.pk}", Encounter)

    roles = {p.individual.reference: [t.text for t in p.type] for p in encounter.participant}
    assert "Therapist (session note)" in roles[f"Practitioner/{staff[Role.THERAPIST].pk}"]
    assert "Prescriber of the dose order" in roles[f"Practitioner/{staff[Role.PRESCRIBER].pk}"]
    assert [h.status for h in encounter.statusHistory] == ["planned", "arrived", "in-progress"]
