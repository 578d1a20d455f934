"""Dosing: the course's signed dose order, each session through its states (dosing/states.py),
the pre-dose check, vital signs with the alerts the protocol's thresholds raise
(kapcare.dosing.monitoring_rules), and the dose to be posted to the ledger."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from kapcare.dosing.models import (
    DoseOrder,
    DosingSession,
    DosingStatus,
    MonitoringAlert,
    PreDoseCheck,
    SessionStatusChange,
    VitalSign,
)
from kapcare.dosing.monitoring_rules import reading_alerts
from kapcare.dosing.states import STEPS
from kapcare.home.synthetic.audit import AuditTrail
from kapcare.home.synthetic.clinics import ClinicSetup
from kapcare.home.synthetic.pathway import Generated, Pathway
from kapcare.home.synthetic.sink import Sink
from kapcare.home.synthetic.stories import Story

MINUTE = dt.timedelta(minutes=1)
# Minutes after the dose starts, and how far above the pre-dose reading the pressure runs.
READINGS = [(15, 14, 6, 8), (45, 10, 5, 5), (90, 3, 1, 0)]


@dataclass(frozen=True)
class Dose:
    """One dose given, for the ledger (written per clinic, in time order)."""

    at: dt.datetime
    session_id: int
    client_id: int
    order_id: int
    route: str
    amount_mg: Decimal
    nurse_id: int
    witness_id: int


class Dosing:
    def __init__(
        self,
        setup: ClinicSetup,
        sink: Sink,
        trail: AuditTrail,
        rng: random.Random,
        pathway: Pathway,
    ):
        self.setup, self.sink, self.trail, self.rng, self.pathway = (
            setup,
            sink,
            trail,
            rng,
            pathway,
        )
        self.doses: list[Dose] = []

    def course(self, story: Story, made: Generated) -> None:
        if not story.sessions:
            return
        rng, sink, setup = self.rng, self.sink, self.setup
        clinic_id = setup.clinic.pk
        route = story.route
        if route == "sublingual":
            amount = Decimal(100 * rng.randint(1, 3))
        elif route == "iv":
            amount = (made.weight_kg * Decimal("0.5")).quantize(Decimal("1"))
        else:
            amount = Decimal(5 * rng.randint(10, 20))
        signed_at = story.active_at - dt.timedelta(hours=2)
        order_id = sink.add(
            DoseOrder,
            clinic_id=clinic_id,
            client_id=made.client_id,
            course_id=made.course_id,
            product="racemic",
            route=route,
            dose_mg=amount if route != "iv" else None,
            dose_mg_per_kg=Decimal("0.5") if route == "iv" else None,
            infusion_minutes=40 if route == "iv" else None,
            sessions_authorised=6,
            valid_until=(signed_at + dt.timedelta(days=120)).date(),
            instructions="Ondansetron 4 mg ODT 30 min before if nauseous last time.",
            protocol_id=setup.dosing_protocol.pk,
            limit_findings=[],
            outside_limits=False,
            override_reason="",
            signed_by_id=made.prescriber.id,
            signature_name=made.prescriber.full_name,
            signed_at=signed_at,
        )
        self.trail.created(
            signed_at,
            made.prescriber.id,
            "doseorder",
            order_id,
            f"Signed a dose order: racemic {amount} mg {route}",
            made.client_id,
        )
        for plan in story.sessions:
            session_id = self._session(story, made, plan, order_id, amount)
            made.session_ids[plan.number] = session_id

    def _session(self, story, made, plan, order_id, amount) -> int:
        rng, sink, setup = self.rng, self.sink, self.setup
        clinic_id = setup.clinic.pk
        start = plan.scheduled_for
        status = plan.status
        reached = (
            STEPS.index(status) if status in STEPS else 2  # an abort comes at the pre-dose checks
        )
        checked_in = start - 10 * MINUTE if reached >= 1 else None
        dose_started = start + 20 * MINUTE if reached >= 3 else None
        dose_ended = None
        if reached >= 4:
            dose_ended = dose_started + (40 if story.route == "iv" else 5) * MINUTE
        discharged = dose_started + 130 * MINUTE if status == DosingStatus.DISCHARGED else None
        aborted = start if status == DosingStatus.ABORTED else None
        session_id = sink.add(
            DosingSession,
            clinic_id=clinic_id,
            client_id=made.client_id,
            course_id=made.course_id,
            number=plan.number,
            scheduled_for=start,
            status=status,
            protocol_id=setup.dosing_protocol.pk if checked_in else None,
            dose_order_id=order_id,
            checked_in_at=checked_in,
            dose_started_at=dose_started,
            dose_ended_at=dose_ended,
            discharged_at=discharged,
            aborted_at=aborted,
            abort_reason=plan.abort_reason,
            revision=reached + 1,
            created_at=start - dt.timedelta(days=7),
        )
        moments = [
            start - dt.timedelta(days=7),
            checked_in,
            start - 5 * MINUTE,
            dose_started,
            dose_ended,
            discharged,
        ]
        previous = ""
        nurse = made.nurse.id
        for step, to_status in enumerate(STEPS[: reached + 1]):
            sink.add(
                SessionStatusChange,
                session_id=session_id,
                from_status=previous,
                to_status=to_status,
                reason="",
                changed_by_id=nurse,
                changed_at=moments[step],
            )
            previous = to_status
        if status == DosingStatus.ABORTED:
            sink.add(
                SessionStatusChange,
                session_id=session_id,
                from_status=previous,
                to_status=status,
                reason=plan.abort_reason,
                changed_by_id=nurse,
                changed_at=aborted,
            )
            self.trail.add(
                aborted,
                nurse,
                "update",
                "dosingsession",
                session_id,
                f"Session {plan.number} aborted",
                made.client_id,
            )
        if reached < 2:
            return session_id
        systolic, diastolic = made.baseline_bp
        systolic += rng.randint(-6, 8)
        diastolic += rng.randint(-4, 5)
        heart_rate = rng.randint(62, 84)
        sink.add(
            PreDoseCheck,
            clinic_id=clinic_id,
            session_id=session_id,
            recorded_at=start - 5 * MINUTE,
            recorded_by_id=nurse,
            identity_confirmed=True,
            fasting_hours=Decimal(rng.randint(4, 12)),
            weight_kg=made.weight_kg,
            systolic=systolic,
            diastolic=diastolic,
            heart_rate=heart_rate,
            spo2=rng.randint(96, 100),
            pregnancy_test="not_applicable",
            medication_changes="",
            substance_use="",
            substance_use_last_24h=False,
            intentions="To stay with what comes up, and be kind to myself.",
            escort_confirmed=True,
            ride_home_confirmed=True,
            phq9_done=True,
            gad7_done=True,
            phq9_item9=0,
            problems=[],
            created_at=start - 5 * MINUTE,
        )
        if dose_started is None:
            return session_id
        self.doses.append(
            Dose(
                dose_started,
                session_id,
                made.client_id,
                order_id,
                story.route,
                amount,
                nurse,
                made.prescriber.id,
            )
        )
        self._vitals(session_id, made, dose_started, discharged, (systolic, diastolic), heart_rate)
        if discharged is not None:
            self.trail.add(
                discharged,
                nurse,
                "update",
                "dosingsession",
                session_id,
                f"Session {plan.number} discharged",
                made.client_id,
            )
            after = discharged + dt.timedelta(days=rng.randint(1, 3), hours=1)
            if after < self.pathway_now:
                self.pathway.notes.integration_note(story, made, after, session_id)
        return session_id

    pathway_now: dt.datetime

    def _vitals(self, session_id, made, dose_started, discharged, baseline, heart_rate) -> None:
        rng, sink, protocol = self.rng, self.sink, self.setup.dosing_protocol
        clinic_id = self.setup.clinic.pk
        base = {"systolic": baseline[0], "diastolic": baseline[1]}
        for minutes, up_sys, up_dia, up_hr in READINGS:
            at = dose_started + minutes * MINUTE
            if discharged is None and at > self.pathway_now:
                break
            spike = rng.random() < 0.04
            reading = {
                "systolic": baseline[0] + up_sys + rng.randint(-4, 6) + (30 if spike else 0),
                "diastolic": baseline[1] + up_dia + rng.randint(-3, 4) + (12 if spike else 0),
                "heart_rate": heart_rate + up_hr + rng.randint(-3, 5),
                "spo2": rng.randint(94, 100),
                "respiratory_rate": rng.randint(12, 18),
                "sedation": rng.choice((4, 5, 5, 5)),
            }
            vital_id = sink.add(
                VitalSign,
                clinic_id=clinic_id,
                session_id=session_id,
                recorded_at=at,
                recorded_by_id=made.nurse.id,
                created_at=at,
                **reading,
            )
            for finding in reading_alerts(reading, baseline=base, protocol=protocol):
                done = discharged is not None
                sink.add(
                    MonitoringAlert,
                    clinic_id=clinic_id,
                    session_id=session_id,
                    vital_id=vital_id,
                    kind=finding.kind,
                    message=finding.message[:300],
                    protocol_version=protocol.version,
                    raised_at=at,
                    acknowledged_at=at + 3 * MINUTE if done else None,
                    acknowledged_by_id=made.nurse.id if done else None,
                    action_taken="Re-measured after 5 minutes; prescriber informed."
                    if done
                    else "",
                )
