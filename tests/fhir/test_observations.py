"""Observation: instrument totals and vital signs, searched together over both tables."""

import datetime as dt

import pytest
from django.test import Client as DjangoClient
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import access_for
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.courses.services import open_course
from kapcare.dosing.models import DosingSession, VitalSign
from kapcare.fhir.resources.observation import ObservationType
from kapcare.measures import services
from kapcare.measures.services import active_definition
from tests.api_helpers import bearer, token_for
from tests.factories import ClientFactory, put_on_team

pytestmark = pytest.mark.django_db
LOINC = "http://loinc.org"
NOON = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def _reading(client, nurse, at, opener, **values) -> VitalSign:
    """A reading by `nurse` in a session of a new course `opener` opens."""
    course = open_course(
        actor=Actor.for_user(opener, client.clinic), client=client, condition="depression"
    )
    session = DosingSession.objects.create(
        clinic=client.clinic, client=client, course=course, number=1, scheduled_for=at
    )
    return VitalSign.objects.create(
        clinic=client.clinic, session=session, recorded_at=at, recorded_by=nurse, **values
    )


def _phq9(staff, client, total, at):
    answers = {str(i): 0 for i in range(1, 10)}
    for i in range(1, 9):
        answers[str(i)] = min(3, max(0, total - 3 * (i - 1)))
    return services.record_response(
        actor=Actor.for_user(staff[Role.THERAPIST], client.clinic),
        client=client,
        definition=active_definition(client.clinic_id, "phq9"),
        answers=answers,
        completed_at=at,
    )


def _search(http, query):
    response = http.get("/fhir/Observation", query)
    assert response.status_code == 200, response.json()
    bundle = response.json()
    Bundle.model_validate(bundle)
    return bundle


def _ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


@pytest.fixture
def recorded(clinic, staff, client_record, instruments):
    reading = _reading(
        client_record,
        staff[Role.NURSE],
        NOON,
        staff[Role.THERAPIST],
        systolic=128,
        diastolic=84,
        heart_rate=72,
        spo2=97,
        respiratory_rate=14,
        sedation=4,
    )
    total = _phq9(staff, client_record, 12, NOON + dt.timedelta(hours=1))
    return {"reading": reading, "total": total}


def test_a_reading_is_one_observation_per_vital_sign_and_each_validates(
    clinic, staff, client_record, recorded
):
    http = bearer(staff[Role.NURSE], clinic, "user/Observation.rs")
    reading, total = recorded["reading"], recorded["total"]
    bundle = _search(http, {"patient": client_record.pk})
    assert bundle["total"] == 5
    assert _ids(bundle) == [
        f"total-{total.pk}",
        f"vs-{reading.pk}-bp",
        f"vs-{reading.pk}-hr",
        f"vs-{reading.pk}-rr",
        f"vs-{reading.pk}-spo2",
    ]
    resources = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    for resource in resources.values():
        Observation.model_validate(resource)
    bp = resources[f"vs-{reading.pk}-bp"]
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert bp["category"][0]["coding"][0]["code"] == "vital-signs"
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("8480-6", 128),
        ("8462-4", 84),
    ]  # fmt: skip
    assert bp["component"][0]["valueQuantity"]["code"] == "mm[Hg]"
    heart = resources[f"vs-{reading.pk}-hr"]
    assert (heart["code"]["coding"][0]["code"], heart["valueQuantity"]["code"]) == (
        "8867-4",
        "/min",
    )
    spo2 = resources[f"vs-{reading.pk}-spo2"]
    assert [c["code"] for c in spo2["code"]["coding"]] == ["2708-6", "59408-5"]
    assert spo2["valueQuantity"]["value"] == 97
    assert resources[f"vs-{reading.pk}-rr"]["code"]["coding"][0]["code"] == "9279-1"
    assert heart["subject"] == {"reference": f"Patient/{client_record.pk}"}
    assert heart["performer"] == [{"reference": f"Practitioner/{staff[Role.NURSE].pk}"}]
    score = resources[f"total-{total.pk}"]
    assert score["code"]["coding"][0] == {
        "system": LOINC,
        "code": "44261-6",
        "display": "PHQ-9 total score",
    }
    assert score["category"][0]["coding"][0]["code"] == "survey"
    assert score["valueQuantity"]["value"] == 12
    assert score["interpretation"][0]["text"] == "Moderate"
    assert score["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{total.pk}"}]
    event = AuditEvent.objects.filter(object_type="fhir.Observation").get()
    assert event.action == AuditAction.LIST and event.details["client_ids"] == [client_record.pk]


def test_search_by_code_category_date_and_id(clinic, staff, client_record, recorded):
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    reading, total = recorded["reading"], recorded["total"]
    hr, bp = f"vs-{reading.pk}-hr", f"vs-{reading.pk}-bp"
    score = f"total-{total.pk}"
    for query, expected in (
        ({"code": f"{LOINC}|44261-6"}, [score]),
        ({"code": "44261-6"}, [score]),
        ({"code": "urn:kapcare:instrument-total|phq9"}, [score]),
        ({"code": f"{LOINC}|8867-4,{LOINC}|85354-9", "_sort": "_id"}, [bp, hr]),
        ({"code": "59408-5"}, [f"vs-{reading.pk}-spo2"]),
        ({"code": "http://snomed.info/sct|8867-4"}, []),
        ({"category": "survey"}, [score]),
        ({"category": "vital-signs", "_count": 1, "_sort": "-date"}, [bp]),
        ({"date": "ge2026-11-20T12:30:00Z"}, [score]),
        ({"date": "lt2026-11-20T12:30:00Z", "code": "8867-4"}, [hr]),
        ({"date": "2026-11-19"}, []),
        ({"_id": f"{hr},{score}"}, [score, hr]),
        ({"subject": f"Patient/{client_record.pk}", "code": "9279-1"}, [f"vs-{reading.pk}-rr"]),
    ):
        assert _ids(_search(http, query)) == expected, query
    assert http.get(f"/fhir/Observation/{hr}").json()["valueQuantity"]["value"] == 72
    assert http.get(f"/fhir/Observation/{score}").json()["valueQuantity"]["value"] == 12
    for missing in (f"vs-{reading.pk}-temp", "total-0", "12", "vs-x-hr"):
        assert http.get(f"/fhir/Observation/{missing}").status_code == 404


def test_paging_walks_both_tables_in_order(clinic, staff, client_record, recorded):
    http = bearer(staff[Role.THERAPIST], clinic, "user/Observation.rs")
    first = _search(http, {"_count": 2, "_sort": "date"})
    seen = _ids(first)
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    while following:
        page = http.get(following).json()
        seen += _ids(page)
        following = next((lk["url"] for lk in page["link"] if lk["relation"] == "next"), None)
    assert len(seen) == len(set(seen)) == 5
    assert seen[-1] == f"total-{recorded['total'].pk}"


def test_only_clinical_viewers_see_them(clinic, staff, client_record, recorded):
    stranger = ClientFactory(clinic=clinic)
    put_on_team(stranger, staff[Role.PRESCRIBER], Role.PRESCRIBER)
    theirs = _reading(stranger, staff[Role.PRESCRIBER], NOON, staff[Role.PRESCRIBER], heart_rate=80)
    therapist = bearer(staff[Role.THERAPIST], clinic, "user/Observation.rs")
    assert f"vs-{theirs.pk}-hr" not in _ids(_search(therapist, {"_count": 50}))
    assert therapist.get(f"/fhir/Observation/vs-{theirs.pk}-hr").status_code == 404
    front_desk = bearer(staff[Role.FRONT_DESK], clinic, "user/Observation.rs")
    assert _search(front_desk, {})["total"] == 0


def test_an_incomplete_response_has_no_total(clinic, staff, client_record, instruments):
    services.record_response(
        actor=Actor.for_user(staff[Role.THERAPIST], clinic),
        client=client_record,
        definition=instruments["gad7"],
        answers={"1": 2},
    )
    http = bearer(staff[Role.THERAPIST], clinic, "user/Observation.rs")
    assert _search(http, {"category": "survey"})["total"] == 0


@pytest.mark.parametrize("rows", [2, 12])
def test_search_is_bounded(
    clinic, staff, client_record, instruments, django_assert_max_num_queries, rows
):
    nurse = staff[Role.NURSE]
    course = open_course(
        actor=Actor.for_user(staff[Role.THERAPIST], clinic), client=client_record, condition="ptsd"
    )
    session = DosingSession.objects.create(
        clinic=clinic, client=client_record, course=course, number=1, scheduled_for=timezone.now()
    )
    for index in range(rows):
        VitalSign.objects.create(
            clinic=clinic,
            session=session,
            recorded_at=NOON + dt.timedelta(minutes=index),
            recorded_by=nurse,
            heart_rate=70 + index,
        )
        _phq9(staff, client_record, index, NOON + dt.timedelta(minutes=index))
    http = bearer(staff[Role.THERAPIST], clinic, "user/Observation.rs")
    with django_assert_max_num_queries(12):
        bundle = _search(http, {"patient": client_record.pk, "_count": 100, "_sort": "-date"})
    assert bundle["total"] == len(bundle["entry"]) == 2 * rows


def test_capability_statement_lists_the_measures_types(db):
    statement = DjangoClient().get("/fhir/metadata").json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    observation = {p["name"]: p["type"] for p in resources["Observation"]["searchParam"]}
    assert observation == {
        "_id": "token",
        "patient": "reference",
        "subject": "reference",
        "code": "token",
        "category": "token",
        "date": "date",
    }
    response = resources["QuestionnaireResponse"]
    assert {"code": "create"} in response["interaction"]
    assert response["searchInclude"] == ["QuestionnaireResponse:questionnaire"]
    assert {"name": "url", "type": "uri"}.items() <= next(
        p for p in resources["Questionnaire"]["searchParam"] if p["name"] == "url"
    ).items()


def test_union_rows_iterate_every_observation_once(clinic, staff, client_record, recorded):
    access = access_for(token_for(staff[Role.THERAPIST], clinic, "user/Observation.rs"))
    rows = ObservationType().search_rows(access)
    seen = [row.ident for row in rows.iterator(chunk_size=2)]
    assert len(seen) == len(set(seen)) == rows.count() == 5
