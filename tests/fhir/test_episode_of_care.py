import pytest

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.courses.services import open_course, transition_course
from tests.api_helpers import bearer
from tests.factories import ClientFactory, put_on_team
from tests.fhir.helpers import ids, read, resources, search

pytestmark = pytest.mark.django_db

STATE = "urn:kapcare:course-state"


def _course(clinic, therapist, client):
    return open_course(actor=Actor.for_user(therapist, clinic), client=client, condition="ptsd")


def test_the_course_as_an_episode_of_care(clinic, staff, client_record):
    therapist = staff[Role.THERAPIST]
    ended = _course(clinic, therapist, client_record)
    transition_course(
        actor=Actor.for_user(therapist, clinic),
        course=ended,
        to="discontinued",
        reason="Moved away",
    )
    current = _course(clinic, therapist, client_record)
    http = bearer(therapist, clinic, "user/EpisodeOfCare.rs")
    bundle = search(http, "/fhir/EpisodeOfCare")
    assert ids(bundle, "EpisodeOfCare") == [str(current.pk), str(ended.pk)]  # newest first
    episode, cancelled = resources(bundle, "EpisodeOfCare")
    assert episode["status"] == "planned"
    assert episode["extension"][0]["valueCoding"]["code"] == "screening"
    assert episode["patient"] == {"reference": f"Patient/{client_record.pk}"}
    assert episode["managingOrganization"] == {"reference": f"Organization/{clinic.pk}"}
    assert episode["team"] == [{"reference": f"CareTeam/{client_record.pk}"}]
    assert "end" not in episode["period"]
    assert cancelled["status"] == "cancelled"
    assert cancelled["period"]["end"]
    assert [h["status"] for h in cancelled["statusHistory"]] == ["planned", "cancelled"]
    assert (
        cancelled["statusHistory"][0]["period"]["end"]
        == cancelled["statusHistory"][1]["period"]["start"]
    )
    by_state = search(http, "/fhir/EpisodeOfCare", {"status": f"{STATE}|discontinued"})
    assert ids(by_state, "EpisodeOfCare") == [str(ended.pk)]
    assert ids(
        search(http, "/fhir/EpisodeOfCare", {"status": "planned,active"}), "EpisodeOfCare"
    ) == [str(current.pk)]
    search(http, "/fhir/EpisodeOfCare", {"status": "asleep"}, status=400)
    search(http, "/fhir/EpisodeOfCare", {"status": f"{STATE}|asleep"}, status=400)
    year = current.opened_at.year
    assert search(http, "/fhir/EpisodeOfCare", {"date": f"ge{year}"})["total"] == 2
    assert search(http, "/fhir/EpisodeOfCare", {"date": f"lt{year}"})["total"] == 0
    assert search(http, "/fhir/EpisodeOfCare", {"patient": "Patient/999999"})["total"] == 0


def test_clinical_visibility(clinic, staff, client_record):
    other = ClientFactory(clinic=clinic)
    put_on_team(other, staff[Role.PRESCRIBER], Role.PRESCRIBER)
    unseen = _course(clinic, staff[Role.PRESCRIBER], other)
    mine = _course(clinic, staff[Role.THERAPIST], client_record)
    therapist = bearer(staff[Role.THERAPIST], clinic, "user/EpisodeOfCare.rs")
    assert ids(search(therapist, "/fhir/EpisodeOfCare"), "EpisodeOfCare") == [str(mine.pk)]
    read(therapist, f"/fhir/EpisodeOfCare/{unseen.pk}", status=404)
    # Front desk and admins see no clinical records; a system/ token of an admin sees all.
    for role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        http = bearer(staff[role], clinic, "user/EpisodeOfCare.rs")
        assert search(http, "/fhir/EpisodeOfCare")["total"] == 0
    system = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/EpisodeOfCare.rs")
    assert search(system, "/fhir/EpisodeOfCare")["total"] == 2


@pytest.mark.parametrize("rows", [2, 12])
def test_pages_are_bounded(clinic, staff, rows, django_assert_max_num_queries):
    therapist = staff[Role.THERAPIST]
    for _ in range(rows):
        record = ClientFactory(clinic=clinic)
        put_on_team(record, therapist, Role.THERAPIST)
        _course(clinic, therapist, record)
    http = bearer(therapist, clinic, "user/*.rs")
    query = {"_count": 100, "_include": "EpisodeOfCare:patient"}
    with django_assert_max_num_queries(12):
        bundle = search(http, "/fhir/EpisodeOfCare", query)
    assert bundle["total"] == rows
    assert len(resources(bundle, "Patient")) == rows


def test_scope_missing_is_403(clinic, staff, client_record):
    course = _course(clinic, staff[Role.THERAPIST], client_record)
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs")
    search(http, "/fhir/EpisodeOfCare", status=403)
    read(http, f"/fhir/EpisodeOfCare/{course.pk}", status=403)
