"""Issue 13, acceptance 1: a real FHIR client library (fhirpy) against the running server finds
a patient and the PHQ-9, submits answers, reads back the total, and raises the same risk alert
as the clinic does for the same answers."""

import pytest
from fhirpy import SyncFHIRClient

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.measures import services
from kapcare.measures.models import Response, ResponseSource, RiskAlert
from tests.api_helpers import token_for
from tests.factories import ClientFactory, put_on_team

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = "user/Patient.rs user/Questionnaire.rs user/QuestionnaireResponse.crs user/Observation.rs"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"


def test_fhirpy_submits_a_phq9_and_reads_its_total(
    live_server, clinic, staff, client_record, instruments
):
    therapist = staff[Role.THERAPIST]
    fhir = SyncFHIRClient(
        url=f"{live_server.url}/fhir",
        authorization=f"Bearer {token_for(therapist, clinic, SCOPES)}",
    )
    patients = fhir.resources("Patient").search(family="Ashby").fetch()
    assert [p.id for p in patients] == [str(client_record.pk)]
    patient = patients[0]
    questionnaire = fhir.resources("Questionnaire").search(code="http://loinc.org|44249-1").first()
    assert questionnaire["url"] == "urn:kapcare:questionnaire:phq9"
    # The app picks each answer from the questionnaire's own options and their weights.
    scores = [1, 2, 0, 3, 1, 0, 2, 1, 1]
    items = []
    for item, score in zip(questionnaire["item"][:9], scores, strict=True):
        option = next(
            o
            for o in item["answerOption"]
            if {"url": ITEM_WEIGHT, "valueDecimal": score} in o["extension"]
        )
        items.append({"linkId": item["linkId"], "answer": [{"valueCoding": option["valueCoding"]}]})
    submitted = fhir.resource(
        "QuestionnaireResponse",
        questionnaire=f"{questionnaire['url']}|{questionnaire['version']}",
        status="completed",
        subject=patient.to_reference(),
        authored="2026-11-30T08:00:00Z",
        item=items,
    )
    submitted.save()
    assert submitted.id
    totals = (
        fhir.resources("Observation")
        .search(patient=patient.id, code="http://loinc.org|44261-6")
        .fetch()
    )
    assert len(totals) == 1
    assert totals[0]["valueQuantity"]["value"] == sum(scores) == 11
    assert totals[0]["derivedFrom"][0]["reference"] == f"QuestionnaireResponse/{submitted.id}"
    assert totals[0]["interpretation"][0]["text"] == "Moderate"
    found = (
        fhir.resources("QuestionnaireResponse")
        .search(patient=patient.id)
        .include("QuestionnaireResponse", "questionnaire")
        .fetch_raw()
    )
    assert {e["resource"]["resourceType"] for e in found["entry"]} == {
        "QuestionnaireResponse",
        "Questionnaire",
    }
    # Item 9 answered 1: the same alert as entering the same answers in the clinic.
    saved = Response.objects.get(pk=int(submitted.id))
    assert saved.source == ResponseSource.API and saved.entered_by == therapist
    alert = RiskAlert.objects.get(response=saved)
    twin_client = ClientFactory(clinic=clinic)
    put_on_team(twin_client, therapist, Role.THERAPIST)
    in_clinic = services.record_response(
        actor=Actor.for_user(therapist, clinic),
        client=twin_client,
        definition=instruments["phq9"],
        answers={str(i): score for i, score in enumerate(scores, start=1)},
    )
    twin = RiskAlert.objects.get(response=in_clinic)
    assert (alert.rule, alert.level, alert.summary, alert.is_open) == (
        twin.rule,
        twin.level,
        twin.summary,
        twin.is_open,
    )
    assert (saved.total, saved.band, saved.flags) == (
        in_clinic.total,
        in_clinic.band,
        in_clinic.flags,
    )
