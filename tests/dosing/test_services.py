"""The session's steps through the services: the transition table, refusals that save nothing,
discharge (acceptance 4), adverse events, waste, notes and the protocol's versions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from kapcare.audit.models import AuditEvent
from kapcare.dosing import services
from kapcare.dosing.models import (
    Administration,
    AdministrationKind,
    Discharge,
    DosingNotification,
    DosingProtocol,
    DosingSession,
    DosingStatus,
    MonitoringAlert,
    SessionStatusChange,
    VitalSign,
)
from kapcare.dosing.monitoring_rules import DISCHARGE_CRITERIA
from kapcare.dosing.services.common import transition_session
from kapcare.dosing.states import TRANSITIONS
from kapcare.ledger.models import EntryKind, LedgerEntry
from tests.dosing.helpers import GOOD_CHECK, ago, chair, give_dose, receive
from tests.pathway import actor

pytestmark = pytest.mark.django_db

S = DosingStatus
ALL_MET = dict.fromkeys(DISCHARGE_CRITERIA, True)
NORMAL = {"systolic": 126, "diastolic": 80, "heart_rate": 74, "spo2": 98}


def monitored(clinic, staff, client, *, dose_minutes_ago=100, ended_minutes_ago=60):
    ctx = chair(clinic, staff, client, checked_minutes_ago=dose_minutes_ago + 10)
    give_dose(clinic, staff, ctx, minutes_ago=dose_minutes_ago)
    services.complete_dosing(
        actor=ctx["nurse"], session=ctx["session"], ended_at=ago(ended_minutes_ago)
    )
    return ctx


def discharge(ctx, **overrides):
    fields = {
        "discharged_at": ago(0),
        "criteria": ALL_MET,
        "summary": "Settled; walked out with partner.",
        "aftercare_instructions": "No driving until tomorrow.",
        **overrides,
    }
    return services.discharge_session(actor=ctx["nurse"], session=ctx["session"], **fields)


def test_a_full_iv_session_posts_the_dose_and_the_waste_to_the_ledger(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    given = give_dose(clinic, staff, ctx)

    assert given.amount_mg == Decimal("36.0") and given.waste_mg == Decimal("464.0")
    assert given.units_opened == 1 and given.rate_mg_per_hour == Decimal("54.00")
    session = DosingSession.objects.get()
    assert session.status == S.DOSING and session.dose_order.route == "iv"
    administration = LedgerEntry.objects.get(kind=EntryKind.ADMINISTRATION)
    waste = LedgerEntry.objects.get(kind=EntryKind.WASTE)
    assert (
        administration.quantity_mg == Decimal("-36")
        and administration.dosing_session_id == session.pk
    )
    assert administration.dose_order_ref == session.dose_order_id
    assert waste.quantity_mg == Decimal("-464") and waste.witness == staff["prescriber"]
    steps = list(SessionStatusChange.objects.values_list("to_status", flat=True))
    assert steps == ["checked_in", "pre_dose_checks", "dosing"]


@pytest.mark.parametrize(
    ("start", "target"),
    [(a, b) for a in S.values for b in S.values if b not in TRANSITIONS[a]],
)
def test_moves_outside_the_transition_table_are_refused(
    clinic, staff, client_record, start, target
):
    ctx = chair(clinic, staff, client_record, check=False)
    DosingSession.objects.filter(pk=ctx["session"].pk).update(
        status=start, discharged_at=ago(1), abort_reason="x"
    )
    session = DosingSession.objects.get(pk=ctx["session"].pk)
    with pytest.raises(ValidationError, match="cannot go"), transaction.atomic():
        transition_session(actor=ctx["nurse"], session=session, to=target, reason="x")


@pytest.mark.parametrize(
    "status", [S.SCHEDULED, S.CHECKED_IN, S.PRE_DOSE_CHECKS, S.DOSING, S.MONITORING]
)
def test_any_step_that_is_not_final_can_be_aborted_with_a_reason(
    clinic, staff, client_record, status
):
    ctx = chair(clinic, staff, client_record, check=False)
    DosingSession.objects.filter(pk=ctx["session"].pk).update(status=status)
    session = DosingSession.objects.get(pk=ctx["session"].pk)
    with pytest.raises(ValidationError, match="reason"):
        services.abort_session(actor=ctx["nurse"], session=session, reason=" ")
    services.abort_session(actor=ctx["nurse"], session=session, reason="Client felt unwell")
    session.refresh_from_db()
    assert session.status == S.ABORTED and session.abort_reason == "Client felt unwell"
    with pytest.raises(ValidationError, match="already ended"):
        services.abort_session(actor=ctx["nurse"], session=session, reason="Again")


def test_aborting_a_running_infusion_records_when_it_stopped(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    give_dose(clinic, staff, ctx, minutes_ago=10)
    services.abort_session(actor=ctx["nurse"], session=ctx["session"], reason="Hypertension")
    dose = Administration.objects.get()
    assert dose.stopped_at is not None


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("administer", S.CHECKED_IN),
        ("vitals", S.PRE_DOSE_CHECKS),
        ("discharge", S.DOSING),
        ("checks", S.DOSING),
    ],
)
def test_steps_out_of_order_are_refused(clinic, staff, client_record, step, status):
    ctx = chair(clinic, staff, client_record)
    DosingSession.objects.filter(pk=ctx["session"].pk).update(status=status)
    session = DosingSession.objects.get(pk=ctx["session"].pk)
    calls = {
        "administer": lambda: give_dose(clinic, staff, {**ctx, "session": session}),
        "vitals": lambda: services.record_vitals(
            actor=ctx["nurse"], session=session, recorded_at=ago(1), values=NORMAL
        ),
        "discharge": lambda: discharge({**ctx, "session": session}),
        "checks": lambda: services.record_pre_dose_check(
            actor=ctx["nurse"], session=session, data=GOOD_CHECK, recorded_at=ago(1)
        ),
    }
    with pytest.raises(ValidationError, match="cannot be done while"):
        calls[step]()


def test_the_amount_must_be_todays_ordered_dose(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    for amount, words in [(Decimal("40"), "36 mg today"), (Decimal("-5"), "more than 0")]:
        with pytest.raises(ValidationError) as refused:
            services.administer_dose(
                actor=ctx["nurse"],
                session=ctx["session"],
                lot=ctx["lot"],
                location=ctx["kit"]["safe"],
                amount_mg=amount,
                started_at=ago(1),
                witness=staff["prescriber"],
            )
        assert words in refused.value.message_dict["amount_mg"][0]
    assert not Administration.objects.exists()


def test_the_rest_of_an_opened_vial_needs_a_witness(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    with pytest.raises(ValidationError) as refused:
        services.administer_dose(
            actor=ctx["nurse"],
            session=ctx["session"],
            lot=ctx["lot"],
            location=ctx["kit"]["safe"],
            amount_mg=Decimal("36.0"),
            started_at=ago(1),
        )
    assert "witness" in refused.value.message_dict["witness_email"][0]
    assert not LedgerEntry.objects.exclude(kind=EntryKind.RECEIPT).exists()


def test_only_nurses_and_prescribers_give_doses(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    with pytest.raises(PermissionDenied):
        services.administer_dose(
            actor=actor(staff["therapist"], clinic),
            session=ctx["session"],
            lot=ctx["lot"],
            location=ctx["kit"]["safe"],
            amount_mg=Decimal("36.0"),
            started_at=ago(1),
            witness=staff["prescriber"],
        )


def esketamine_chair(clinic, staff, client, checked_minutes_ago=150):
    ctx = chair(
        clinic,
        staff,
        client,
        order=False,
        stock=False,
        check=False,
        checked_minutes_ago=checked_minutes_ago,
    )
    ctx["lot"] = receive(clinic, staff, ctx["kit"]["device"], ctx["kit"]["safe"], 560, "E1")
    services.sign_dose_order(
        actor=actor(staff["prescriber"], clinic),
        course=ctx["course"],
        product="esketamine",
        route="intranasal",
        dose_mg=Decimal("56"),
        sessions_authorised=8,
        valid_until=clinic.today() + dt.timedelta(days=28),
        signature_name=staff["prescriber"].full_name,
    )
    services.record_pre_dose_check(
        actor=ctx["nurse"],
        session=ctx["session"],
        data={**GOOD_CHECK, "fasting_hours": Decimal("3")},
        recorded_at=ago(checked_minutes_ago),
    )
    return ctx


def test_an_esketamine_dose_is_whole_devices_with_nothing_to_waste(clinic, staff, client_record):
    ctx = esketamine_chair(clinic, staff, client_record)
    given = services.administer_dose(
        actor=ctx["nurse"],
        session=ctx["session"],
        lot=ctx["lot"],
        location=ctx["kit"]["safe"],
        amount_mg=Decimal("56"),
        started_at=ago(140),
        site="nostrils",
    )
    assert given.units_opened == 2 and given.waste_mg == 0 and given.waste_entry is None


# --- Acceptance 4: discharge needs the minimum observation time AND every criterion ---------


def test_discharge_is_refused_before_the_minimum_observation_time(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record, dose_minutes_ago=80, ended_minutes_ago=40)
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(2), values=NORMAL
    )
    with pytest.raises(ValidationError) as refused:
        discharge(ctx)
    assert "at least 90 min" in refused.value.message_dict["discharged_at"][0]
    assert not Discharge.objects.exists()
    assert DosingSession.objects.get().status == S.MONITORING


@pytest.mark.parametrize("criterion", DISCHARGE_CRITERIA)
def test_discharge_is_refused_with_any_criterion_unmet(clinic, staff, client_record, criterion):
    ctx = monitored(clinic, staff, client_record)
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(2), values=NORMAL
    )
    with pytest.raises(ValidationError) as refused:
        discharge(ctx, criteria={**ALL_MET, criterion: False})
    assert criterion in refused.value.message_dict
    assert not Discharge.objects.exists() and DosingSession.objects.get().discharged_at is None


def test_discharge_is_refused_while_vitals_are_far_from_pre_dose(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    high = {**NORMAL, "systolic": 170, "diastolic": 96}
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(2), values=high
    )
    MonitoringAlert.objects.update(
        acknowledged_at=ago(1), acknowledged_by=staff["nurse"], action_taken="Rechecked"
    )
    with pytest.raises(ValidationError) as refused:
        discharge(ctx)
    assert "systolic 170" in refused.value.message_dict["vitals_near_baseline"][0]


def test_discharge_is_refused_while_an_alert_is_open(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(10), values={"spo2": 90}
    )
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(2), values=NORMAL
    )
    with pytest.raises(ValidationError, match="open alerts"):
        discharge(ctx)
    alert = MonitoringAlert.objects.get()
    with pytest.raises(ValidationError):
        services.acknowledge_alert(actor=ctx["nurse"], alert=alert, action_taken="  ")
    services.acknowledge_alert(actor=ctx["nurse"], alert=alert, action_taken="Chin lift; 97%")
    discharge(ctx)
    session = DosingSession.objects.get()
    assert session.status == S.DISCHARGED and session.discharged_at is not None


def test_esketamine_needs_two_hours_whatever_the_criteria(clinic, staff, client_record):
    ctx = esketamine_chair(clinic, staff, client_record, checked_minutes_ago=125)
    services.administer_dose(
        actor=ctx["nurse"],
        session=ctx["session"],
        lot=ctx["lot"],
        location=ctx["kit"]["safe"],
        amount_mg=Decimal("56"),
        started_at=ago(119),
    )
    services.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(110))
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(1), values=NORMAL
    )
    with pytest.raises(ValidationError) as refused:
        discharge(ctx)
    assert "at least 120 min" in refused.value.message_dict["discharged_at"][0]
    discharge(ctx, discharged_at=ago(-1))  # a minute from now: within the clock slack
    assert Discharge.objects.get().observed_minutes >= 120


def test_the_protocol_cannot_lower_esketamine_observation_below_two_hours(clinic, staff):
    services.ensure_dosing_protocol(clinic=clinic)
    with pytest.raises(ValidationError) as refused:
        services.publish_dosing_protocol(
            actor=actor(staff["clinic_admin"], clinic),
            values={"min_observation_minutes_intranasal": 60},
            notes="Shorter",
        )
    assert "min_observation_minutes_intranasal" in refused.value.message_dict


def test_a_discharged_session_opens_the_integration_window(clinic, staff, client_record):
    from kapcare.dosing.integration_selectors import integration_overdue

    ctx = monitored(clinic, staff, client_record)
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(2), values=NORMAL
    )
    discharge(ctx)
    later = ago(0) + dt.timedelta(hours=80)
    assert [s.pk for s in integration_overdue(clinic_id=clinic.pk, at=later)] == [ctx["session"].pk]


# --- Monitoring ---------------------------------------------------------------------------


def test_a_high_reading_raises_alerts_under_the_sessions_protocol(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    services.record_vitals(
        actor=ctx["nurse"],
        session=ctx["session"],
        recorded_at=ago(5),
        values={"systolic": 182, "diastolic": 104, "heart_rate": 80},
    )
    kinds = set(MonitoringAlert.objects.values_list("kind", flat=True))
    assert kinds == {"systolic", "systolic_rise", "diastolic_rise"}
    assert set(MonitoringAlert.objects.values_list("protocol_version", flat=True)) == {1}


def test_vitals_are_append_only(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(5), values=NORMAL
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE dosing_vitalsign SET systolic = 100")
    assert VitalSign.objects.get().systolic == 126


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"spo2": 140}, "spo2"),
        ({"systolic": 120}, "diastolic"),
        ({"systolic": 80, "diastolic": 90}, "diastolic"),
        ({"heart_rate": -3}, "heart_rate"),
    ],
)
def test_impossible_vitals_are_refused_at_their_field(clinic, staff, client_record, values, field):
    ctx = monitored(clinic, staff, client_record)
    with pytest.raises(ValidationError) as refused:
        services.record_vitals(
            actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(1), values=values
        )
    assert field in refused.value.message_dict
    assert not VitalSign.objects.exists()


def test_a_future_reading_is_refused(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    with pytest.raises(ValidationError) as refused:
        services.record_vitals(
            actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(-10), values=NORMAL
        )
    assert "future" in refused.value.message_dict["recorded_at"][0]


def test_dissociation_is_rated_on_the_protocols_scale(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    therapist = actor(staff["therapist"], clinic)
    with pytest.raises(ValidationError):
        services.rate_dissociation(
            actor=therapist, session=ctx["session"], rated_at=ago(50), score=5
        )
    rating = services.rate_dissociation(
        actor=therapist, session=ctx["session"], rated_at=ago(50), score=2, note="Distant"
    )
    assert (rating.scale, rating.max_score) == ("clinician_0_4", 4)


def test_two_people_saving_the_note_never_overwrite_each_other(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    therapist = actor(staff["therapist"], clinic)
    first = services.save_session_note(
        actor=therapist,
        session=ctx["session"],
        prompts_offered="Breath",
        client_reports="",
        insights="",
        based_on_revision=0,
    )
    with pytest.raises(ValidationError, match="while you were writing"):
        services.save_session_note(
            actor=therapist,
            session=ctx["session"],
            prompts_offered="Other",
            client_reports="",
            insights="",
            based_on_revision=0,
        )
    second = services.save_session_note(
        actor=therapist,
        session=ctx["session"],
        prompts_offered="Breath; music",
        client_reports="Felt held",
        insights="Grief",
        based_on_revision=first.revision,
    )
    assert second.revision == 2 and second.prompts_offered == "Breath; music"
    with pytest.raises(PermissionDenied):
        services.save_session_note(
            actor=ctx["nurse"],
            session=ctx["session"],
            prompts_offered="x",
            client_reports="",
            insights="",
            based_on_revision=2,
        )


# --- Adverse events -------------------------------------------------------------------------


def _event(ctx, severity, **extra):
    return services.record_adverse_event(
        actor=ctx["nurse"],
        session=ctx["session"],
        occurred_at=ago(30),
        kind="anxiety",
        severity=severity,
        description="Panicky, tearful.",
        action_taken="Reassurance; midazolam.",
        outcome="resolved",
        **extra,
    )


def test_a_serious_event_tells_the_prescriber_at_once(
    clinic, staff, client_record, django_capture_on_commit_callbacks
):
    ctx = monitored(clinic, staff, client_record)
    with django_capture_on_commit_callbacks(execute=True):
        event = _event(
            ctx,
            "severe",
            rescue_medication="Midazolam",
            rescue_dose="1 mg",
            rescue_route="IV",
        )
    assert event.serious
    notice = DosingNotification.objects.get()
    assert notice.recipient == staff["prescriber"] and "Serious adverse event" in notice.message
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [staff["prescriber"].email]
    assert client_record.last_name not in mail.outbox[0].body
    rescue = Administration.objects.get(kind=AdministrationKind.RESCUE)
    assert rescue.medication == "Midazolam" and rescue.adverse_event == event


def test_a_mild_event_notifies_no_one(
    clinic, staff, client_record, django_capture_on_commit_callbacks
):
    ctx = monitored(clinic, staff, client_record)
    with django_capture_on_commit_callbacks(execute=True):
        _event(ctx, "mild")
    assert not DosingNotification.objects.exists() and not mail.outbox


def test_an_event_without_what_was_done_is_refused(clinic, staff, client_record):
    ctx = monitored(clinic, staff, client_record)
    with pytest.raises(ValidationError) as refused:
        services.record_adverse_event(
            actor=ctx["nurse"],
            session=ctx["session"],
            occurred_at=ago(5),
            kind="nausea",
            severity="mild",
            description="Nauseous",
            action_taken="",
            outcome="resolved",
            rescue_medication="Ondansetron",
        )
    assert {"action_taken", "rescue_dose"} <= set(refused.value.message_dict)


def test_undelivered_drug_is_wasted_under_a_witness(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record)
    give_dose(clinic, staff, ctx, minutes_ago=10)
    services.abort_session(actor=ctx["nurse"], session=ctx["session"], reason="BP 190/115")
    with pytest.raises(ValidationError):
        services.record_session_waste(
            actor=ctx["nurse"],
            session=ctx["session"],
            witness=staff["prescriber"],
            quantity_mg=Decimal("40"),
            reason="Bag left",
        )
    services.record_session_waste(
        actor=ctx["nurse"],
        session=ctx["session"],
        witness=staff["prescriber"],
        quantity_mg=Decimal("27"),
        reason="Infusion stopped at 10 min; rest of bag wasted",
    )
    assert LedgerEntry.objects.filter(kind=EntryKind.WASTE).count() == 2


# --- Protocol versions ----------------------------------------------------------------------


def test_a_new_protocol_version_applies_to_sessions_checked_in_after_it(
    clinic, staff, client_record
):
    ctx = monitored(clinic, staff, client_record)
    services.publish_dosing_protocol(
        actor=actor(staff["clinic_admin"], clinic), values={"alert_systolic": 150}, notes="Stricter"
    )
    services.record_vitals(
        actor=ctx["nurse"],
        session=ctx["session"],
        recorded_at=ago(5),
        values={"systolic": 155, "diastolic": 80},
    )
    assert not MonitoringAlert.objects.filter(kind="systolic").exists()  # judged under v1
    assert list(DosingProtocol.objects.values_list("version", flat=True)) == [2, 1]


def test_publishing_a_protocol_checks_minimum_below_maximum(clinic, staff):
    with pytest.raises(ValidationError) as refused:
        services.publish_dosing_protocol(
            actor=actor(staff["clinic_admin"], clinic),
            values={"sublingual_min_mg": Decimal("400")},
            notes="Oops",
        )
    assert "sublingual_max_mg" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.publish_dosing_protocol(
            actor=actor(staff["prescriber"], clinic), values={}, notes="x"
        )


def test_every_step_is_audited(clinic, staff, client_record):
    monitored(clinic, staff, client_record)
    summaries = list(
        AuditEvent.objects.filter(client=client_record).values_list("summary", flat=True)
    )
    for words in ["checked_in", "Pre-dose checks", "Gave 36.0 mg", "dosing → monitoring"]:
        assert any(words in s for s in summaries), words
