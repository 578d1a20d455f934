"""Questionnaire and QuestionnaireResponse read and search (creating responses: test_answers)."""

import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.measures import services
from kapcare.measures.models import InstrumentDefinition, ResponseSource
from kapcare.measures.services.instruments import ensure_shipped_instruments
from tests.api_helpers import bearer
from tests.factories import ClientFactory, put_on_team
from tests.fhir.measures_helpers import FREQUENCY, LOINC, PHQ9_ITEMS, PHQ9_URL

pytestmark = pytest.mark.django_db
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def _entries(http, path, query=None, mode="match"):
    response = http.get(path, query or {})
    assert response.status_code == 200, response.json()
    bundle = response.json()
    Bundle.model_validate(bundle)
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == mode]


def test_phq9_questionnaire_has_loinc_codes_and_scores_in_both_extensions(
    clinic, staff, instruments
):
    http = bearer(staff[Role.FRONT_DESK], clinic, "user/Questionnaire.rs")
    [found] = _entries(http, "/fhir/Questionnaire", {"code": f"{LOINC}|44249-1"})
    Questionnaire.model_validate(found)
    assert found["url"] == PHQ9_URL
    assert found["version"] == instruments["phq9"].version
    assert found["status"] == "active"
    assert {"system": LOINC, "code": "44249-1"}.items() <= found["code"][0].items()
    items = found["item"]
    assert [i["code"][0]["code"] for i in items[:9]] == PHQ9_ITEMS
    assert items[8]["linkId"] == "9"
    assert items[8]["text"].startswith("Thoughts that you would be better off dead")
    options = items[0]["answerOption"]
    assert [o["valueCoding"]["code"] for o in options] == FREQUENCY
    for score, option in enumerate(options):
        expected = [
            {"url": ITEM_WEIGHT, "valueDecimal": score},
            {"url": ORDINAL_VALUE, "valueDecimal": score},
        ]
        assert option["extension"] == expected
        assert option["valueCoding"]["extension"] == expected
    # The difficulty question is not scored: a client adding up weights gets the PHQ-9 total.
    difficulty = items[9]
    assert difficulty["code"][0]["code"] == "69722-7"
    assert all("extension" not in o for o in difficulty["answerOption"])
    assert difficulty["answerOption"][0]["valueCoding"]["system"].startswith("urn:kapcare:")
    # Bare code, the kapcare code, url, url|version, name, title, status and version all find it.
    for query in (
        {"code": "44249-1"},
        {"code": "urn:kapcare:instrument|phq9"},
        {"url": PHQ9_URL},
        {"url": f"{PHQ9_URL}|{found['version']}"},
        {"name": "phq"},
        {"title": "Patient Health"},
        {"status": "active", "version": found["version"]},
        {"_id": found["id"]},
    ):
        assert [r["id"] for r in _entries(http, "/fhir/Questionnaire", query)] == [found["id"]]
    assert _entries(http, "/fhir/Questionnaire", {"code": "http://snomed.info/sct|44249-1"}) == []


def test_every_instrument_validates_and_licensed_text_is_left_out(clinic, staff, instruments):
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    resources = {r["name"]: r for r in _entries(http, "/fhir/Questionnaire", {"_count": 50})}
    assert set(resources) == {code.upper() for code in instruments}
    for resource in resources.values():
        Questionnaire.model_validate(resource)
    ocir = resources["OCIR"]
    assert not instruments["ocir"].has_all_item_text
    assert all("text" not in item and item["linkId"] for item in ocir["item"])
    gad7 = resources["GAD7"]
    assert gad7["code"][0]["code"] == "69737-5"
    assert [i["code"][0]["code"] for i in gad7["item"][:7]] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"
    ]  # fmt: skip
    # Instruments without LOINC codes carry kapcare's own, and no invented LOINC.
    assert [c["system"] for c in resources["PCL5"]["code"]] == ["urn:kapcare:instrument"]
    # The C-SSRS skip logic: question 3 is asked only when question 2 is Yes.
    cssrs = {item["linkId"]: item for item in resources["CSSRS_SCREENER"]["item"]}
    assert cssrs["3"]["enableWhen"][0]["question"] == "2"
    assert cssrs["3"]["enableWhen"][0]["answerCoding"]["code"] == "1"


def test_questionnaire_search_is_bounded(clinic, staff, instruments, django_assert_max_num_queries):
    # A second, retired version of every instrument doubles the rows, not the queries.
    for definition in instruments.values():
        InstrumentDefinition.objects.create(
            clinic=clinic,
            code=definition.code,
            version="0.9",
            title=definition.title,
            definition=definition.definition,
            origin=definition.origin,
            is_active=False,
        )
    http = bearer(staff[Role.THERAPIST], clinic, "user/Questionnaire.rs")
    with django_assert_max_num_queries(8):
        found = _entries(http, "/fhir/Questionnaire", {"_count": 50})
    assert len(found) == 12
    assert [r["status"] for r in found[:6]] == ["active"] * 6


def test_item_text_appears_once_loaded_and_retired_versions_stay_readable(clinic, staff):
    ensure_shipped_instruments(clinic=clinic)
    ocir = InstrumentDefinition.objects.get(clinic=clinic, code="ocir")
    text = {item["key"]: f"Item {item['key']} text" for item in ocir.definition["items"]}
    InstrumentDefinition.objects.filter(pk=ocir.pk).update(item_text=text)
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    loaded = http.get(f"/fhir/Questionnaire/{ocir.pk}").json()
    Questionnaire.model_validate(loaded)
    assert loaded["item"][0]["text"] == "Item 1 text"
    InstrumentDefinition.objects.filter(pk=ocir.pk).update(is_active=False)
    retired = http.get(f"/fhir/Questionnaire/{ocir.pk}").json()
    assert retired["status"] == "retired"
    assert _entries(http, "/fhir/Questionnaire", {"status": "retired"})[0]["id"] == str(ocir.pk)


def test_other_clinics_questionnaires_are_not_served(clinic, other_clinic, staff):
    ensure_shipped_instruments(clinic=other_clinic)
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    assert _entries(http, "/fhir/Questionnaire") == []
    theirs = InstrumentDefinition.objects.filter(clinic=other_clinic).first()
    assert http.get(f"/fhir/Questionnaire/{theirs.pk}").status_code == 404


def _record(staff, client, definition, answers, **kw):
    actor = Actor.for_user(staff[Role.THERAPIST], client.clinic)
    return services.record_response(
        actor=actor, client=client, definition=definition, answers=answers, **kw
    )


def test_response_search_read_include_and_visibility(clinic, staff, client_record, instruments):
    phq9 = {str(i): 1 for i in range(1, 10)} | {"10": 2}
    earlier = _record(
        staff,
        client_record,
        instruments["phq9"],
        phq9,
        completed_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
    )
    later = _record(staff, client_record, instruments["gad7"], {str(i): 0 for i in range(1, 8)})
    stranger = ClientFactory(clinic=clinic)
    put_on_team(stranger, staff[Role.PRESCRIBER], Role.PRESCRIBER)
    hidden = services.record_response(
        actor=Actor.for_user(staff[Role.PRESCRIBER], clinic),
        client=stranger,
        definition=instruments["phq9"],
        answers=phq9,
    )
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    found = _entries(http, "/fhir/QuestionnaireResponse", {"_sort": "-authored"})
    assert [r["id"] for r in found] == [str(later.pk), str(earlier.pk)]
    resource = http.get(f"/fhir/QuestionnaireResponse/{earlier.pk}").json()
    QuestionnaireResponse.model_validate(resource)
    assert resource["questionnaire"] == f"{PHQ9_URL}|{instruments['phq9'].version}"
    assert resource["status"] == "completed"
    assert resource["subject"] == {"reference": f"Patient/{client_record.pk}"}
    assert resource["author"] == {"reference": f"Practitioner/{staff[Role.THERAPIST].pk}"}
    assert resource["authored"].startswith("2026-03-02T10:00:00")
    item9 = resource["item"][8]
    assert item9["linkId"] == "9" and item9["text"]
    assert item9["answer"][0]["valueCoding"]["code"] == "LA6569-3"
    assert item9["answer"][0]["valueCoding"]["extension"][0]["valueDecimal"] == 1
    assert "extension" not in resource["item"][9]["answer"][0]["valueCoding"]
    assert http.get(f"/fhir/QuestionnaireResponse/{hidden.pk}").status_code == 404
    for query, expected in (
        ({"patient": f"Patient/{client_record.pk}"}, [later, earlier]),
        ({"subject": str(stranger.pk)}, []),
        ({"questionnaire": PHQ9_URL}, [earlier]),
        ({"questionnaire": f"{PHQ9_URL}|{instruments['phq9'].version}"}, [earlier]),
        ({"questionnaire": f"Questionnaire/{instruments['gad7'].pk}"}, [later]),
        ({"authored": "ge2026-03-02", "_sort": "authored"}, [earlier, later]),
        ({"authored": "lt2026-03-03"}, [earlier]),
        ({"status": "completed", "_sort": "-date"}, [later, earlier]),
        ({"status": "stopped"}, []),
    ):
        ids = [r["id"] for r in _entries(http, "/fhir/QuestionnaireResponse", query)]
        assert ids == [str(r.pk) for r in expected], query
    included = _entries(
        http,
        "/fhir/QuestionnaireResponse",
        {"_include": "QuestionnaireResponse:questionnaire"},
        mode="include",
    )
    assert sorted(r["url"] for r in included) == [
        "urn:kapcare:questionnaire:gad7",
        PHQ9_URL,
    ]
    assert http.get("/fhir/QuestionnaireResponse", {"status": "done"}).status_code == 400


def test_front_desk_sees_no_responses(clinic, staff, client_record, instruments):
    _record(staff, client_record, instruments["gad7"], {str(i): 0 for i in range(1, 8)})
    http = bearer(staff[Role.FRONT_DESK], clinic, "user/*.rs")
    assert _entries(http, "/fhir/QuestionnaireResponse") == []


def test_incomplete_response_without_item_text_is_stopped_and_validates(
    clinic, staff, client_record, instruments
):
    ocir = instruments["ocir"]
    response = _record(staff, client_record, ocir, {"1": 2, "2": 1})
    assert response.total is None
    http = bearer(staff[Role.THERAPIST], clinic, "user/QuestionnaireResponse.rs")
    resource = http.get(f"/fhir/QuestionnaireResponse/{response.pk}").json()
    QuestionnaireResponse.model_validate(resource)
    assert resource["status"] == "stopped"
    assert [i["linkId"] for i in resource["item"]] == ["1", "2"]
    assert all("text" not in i for i in resource["item"])
    assert resource["item"][0]["answer"][0]["valueCoding"]["display"] == "Moderately"


def test_client_answered_response_names_the_patient_as_author(
    clinic, staff, client_record, instruments
):
    response = _record(
        staff,
        client_record,
        instruments["gad7"],
        {str(i): 1 for i in range(1, 8)},
        source=ResponseSource.LINK,
    )
    http = bearer(staff[Role.NURSE], clinic, "user/QuestionnaireResponse.r")
    resource = http.get(f"/fhir/QuestionnaireResponse/{response.pk}").json()
    assert resource["author"] == {"reference": f"Patient/{client_record.pk}"}
    assert resource["source"] == {"reference": f"Patient/{client_record.pk}"}


@pytest.mark.parametrize("rows", [2, 12])
def test_response_search_is_bounded(
    clinic, staff, client_record, instruments, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        _record(staff, client_record, instruments["gad7"], {str(i): 1 for i in range(1, 8)})
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    with django_assert_max_num_queries(12):
        found = _entries(
            http,
            "/fhir/QuestionnaireResponse",
            {"_include": "QuestionnaireResponse:questionnaire", "_count": 50},
        )
    assert len(found) == rows
