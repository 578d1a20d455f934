"""FHIR MedicationRequest (dose orders), MedicationAdministration (doses and rescue
medications) and AdverseEvent over the dosing side of a course, with sessions walked through
the real services; and what a search page of each dosing type costs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as DjangoClient
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest

from kapcare.accounts.models import Role
from kapcare.dosing import services
from tests.api_helpers import bearer
from tests.dosing.helpers import chair, give_dose, in_monitoring, iv_order
from tests.factories import make_staff
from tests.fhir.dosing_helpers import (
    QUERY_BOUND,
    SEARCHES,
    adverse_event,
    dosing,
    ids_of,
    monitored_clients,
    read_resource,
    search_bundle,
)
from tests.pathway import actor

pytestmark = pytest.mark.django_db

# --- MedicationRequest ------------------------------------------------------------------------


def test_dose_orders_as_medication_requests(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    course, nurse = ctx["course"], ctx["nurse"]
    first = course.dose_orders.get()
    prescriber = actor(staff[Role.PRESCRIBER], clinic)
    second = iv_order(clinic, staff, course, sessions_authorised=1)
    give_dose(clinic, staff, ctx)
    http = bearer(staff[Role.THERAPIST], clinic, "user/MedicationRequest.rs")

    request, _ = read_resource(http, f"MedicationRequest/{second.pk}", MedicationRequest)
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

    replaced, _ = read_resource(http, f"MedicationRequest/{first.pk}", MedicationRequest)
    assert replaced.status == "stopped" and "later" in replaced.statusReason.text

    third = iv_order(clinic, staff, course, dose_mg=Decimal("40"), dose_mg_per_kg=None)
    assert (
        read_resource(http, f"MedicationRequest/{third.pk}", MedicationRequest)[0].status
        == "active"
    )
    services.cancel_dose_order(actor=prescriber, order=third, reason="Plan changed.")
    services.cancel_dose_order(actor=prescriber, order=second, reason="Course ends.")
    cancelled, raw = read_resource(http, f"MedicationRequest/{third.pk}", MedicationRequest)
    assert cancelled.status == "cancelled" and cancelled.statusReason.text == "Plan changed."
    assert raw["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
    # Cancelled after its dose was given: stopped, not cancelled.
    assert (
        read_resource(http, f"MedicationRequest/{second.pk}", MedicationRequest)[0].status
        == "stopped"
    )
    # With both later orders cancelled the first is the course's current order again.
    assert (
        read_resource(http, f"MedicationRequest/{first.pk}", MedicationRequest)[0].status
        == "active"
    )

    assert ids_of(search_bundle(http, "MedicationRequest", {"status": "active"})) == [str(first.pk)]
    assert ids_of(search_bundle(http, "MedicationRequest", {"status": "stopped,cancelled"})) == [
        str(third.pk),
        str(second.pk),
    ]
    assert search_bundle(http, "MedicationRequest", {"patient": client_record.pk})["total"] == 3
    assert (
        search_bundle(http, "MedicationRequest", {"code": "6130", "authoredon": "ge2020"})["total"]
        == 3
    )
    assert search_bundle(http, "MedicationRequest", {"date": "lt2020"})["total"] == 0
    assert http.get("/fhir/MedicationRequest", {"status": "paused"}).status_code == 400
    assert nurse  # the nurse gave the dose the second order authorised


def test_an_expired_order_is_stopped(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    order = ctx["course"].dose_orders.get()
    # Time passes: the order's last day was yesterday, with sessions still unused.
    yesterday = clinic.today() - dt.timedelta(days=1)
    type(order).objects.filter(pk=order.pk).update(valid_until=yesterday)
    http = bearer(staff[Role.PRESCRIBER], clinic, "user/*.rs")

    expired, _ = read_resource(http, f"MedicationRequest/{order.pk}", MedicationRequest)

    assert expired.status == "stopped"
    assert expired.statusReason.text == f"Expired after {yesterday.isoformat()}."
    assert search_bundle(http, "MedicationRequest", {"status": "active"})["total"] == 0


def test_medication_requests_only_for_the_care_team(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    order = ctx["course"].dose_orders.get()
    outsider = bearer(make_staff(clinic, Role.PRESCRIBER), clinic, "user/*.rs")
    assert search_bundle(outsider, "MedicationRequest")["total"] == 0
    assert outsider.get(f"/fhir/MedicationRequest/{order.pk}").status_code == 404


# --- MedicationAdministration -----------------------------------------------------------------


def test_the_dose_as_a_medication_administration(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    session = ctx["session"]
    given = session.administrations.get()
    http = bearer(staff[Role.THERAPIST], clinic, "user/MedicationAdministration.rs")

    dose, _ = read_resource(http, f"MedicationAdministration/{given.pk}", MedicationAdministration)

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

    found = search_bundle(
        http, "MedicationAdministration", {"encounter": f"Encounter/dosing-{session.pk}"}
    )
    assert ids_of(found) == [str(given.pk)]
    assert (
        search_bundle(http, "MedicationAdministration", {"context": "Encounter/dosing-0"})["total"]
        == 0
    )
    assert (
        search_bundle(http, "MedicationAdministration", {"status": "completed", "date": "ge2020"})[
            "total"
        ]
        == 1
    )
    assert search_bundle(http, "MedicationAdministration", {"status": "in-progress"})["total"] == 0


def test_a_running_infusion_and_an_aborted_one(clinic, staff, client_record):
    ctx = dosing(clinic, staff, client_record)
    given = ctx["session"].administrations.get()
    http = bearer(staff[Role.NURSE], clinic, "user/*.rs")
    running, _ = read_resource(
        http, f"MedicationAdministration/{given.pk}", MedicationAdministration
    )
    assert running.status == "in-progress" and running.effectivePeriod.end is None

    services.abort_session(actor=ctx["nurse"], session=ctx["session"], reason="Chest pain.")

    stopped, _ = read_resource(
        http, f"MedicationAdministration/{given.pk}", MedicationAdministration
    )
    assert stopped.status == "stopped" and stopped.effectivePeriod.end is not None
    assert ids_of(search_bundle(http, "MedicationAdministration", {"status": "stopped"})) == [
        str(given.pk)
    ]


def test_a_rescue_medication_is_an_administration_too(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    event = adverse_event(
        ctx, rescue_medication="Ondansetron", rescue_dose="4 mg", rescue_route="oral"
    )
    rescue = event.rescue_medications.get()
    http = bearer(staff[Role.NURSE], clinic, "user/*.rs")

    given, _ = read_resource(
        http, f"MedicationAdministration/{rescue.pk}", MedicationAdministration
    )

    assert given.status == "completed" and given.medicationCodeableConcept.text == "Ondansetron"
    assert given.dosage.text == "Ondansetron 4 mg" and given.dosage.route.text == "oral"
    assert given.supportingInformation[0].reference == f"AdverseEvent/{event.pk}"
    assert given.request is None and given.effectiveDateTime == rescue.started_at
    assert (
        search_bundle(http, "MedicationAdministration", {"patient": client_record.pk})["total"] == 2
    )


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
    event = adverse_event(ctx, severity)
    session = ctx["session"]
    http = bearer(staff[Role.THERAPIST], clinic, "user/AdverseEvent.rs")

    found, _ = read_resource(http, f"AdverseEvent/{event.pk}", AdverseEvent)

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

    assert search_bundle(http, "AdverseEvent", {"seriousness": seriousness})["total"] == 1
    assert (
        search_bundle(http, "AdverseEvent", {"severity": fhir_severity, "event": "nausea"})["total"]
        == 1
    )
    assert (
        search_bundle(http, "AdverseEvent", {"encounter": f"Encounter/dosing-{session.pk}"})[
            "total"
        ]
        == 1
    )
    assert (
        search_bundle(http, "AdverseEvent", {"date": "lt2020", "patient": client_record.pk})[
            "total"
        ]
        == 0
    )
    assert http.get("/fhir/AdverseEvent", {"severity": "awful"}).status_code == 400


def test_adverse_events_only_for_the_care_team(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    event = adverse_event(ctx)
    outsider = bearer(make_staff(clinic, Role.NURSE), clinic, "user/*.rs")
    assert search_bundle(outsider, "AdverseEvent")["total"] == 0
    assert outsider.get(f"/fhir/AdverseEvent/{event.pk}").status_code == 404
    assert search_bundle(outsider, "MedicationAdministration")["total"] == 0


@pytest.mark.parametrize("clients", [2, 10])
def test_a_search_page_costs_the_same_queries_at_2_and_10_rows(
    clinic, staff, django_assert_max_num_queries, clients
):
    monitored_clients(clinic, staff, clients)
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
