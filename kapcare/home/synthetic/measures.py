"""Questionnaires on their schedules: the course's assignments as the real planner makes them
(kapcare.measures.rules.plan_course), a response to most that have come due, scored by the real
scoring rules, and the risk alerts those answers raise."""

from __future__ import annotations

import datetime as dt
import random

from kapcare.home.synthetic.audit import AuditTrail
from kapcare.home.synthetic.clinics import ClinicSetup
from kapcare.home.synthetic.pathway import Generated
from kapcare.home.synthetic.sink import Sink
from kapcare.home.synthetic.stories import TRAJECTORIES, Story
from kapcare.measures import scoring
from kapcare.measures.demo import BASELINES, answers_for
from kapcare.measures.models import (
    AssignmentStatus,
    MeasureAssignment,
    Response,
    ResponseSource,
    RiskAlert,
)
from kapcare.measures.rules import CourseFacts, DoseFacts, ScheduleSettings, plan_course

ACTION = (
    "Phoned the client the same day: passive thoughts, no plan or intent. Safety plan "
    "reviewed; C-SSRS screener booked for the next visit."
)


class Measures:
    def __init__(
        self,
        setup: ClinicSetup,
        sink: Sink,
        trail: AuditTrail,
        rng: random.Random,
        *,
        now: dt.datetime,
        today: dt.date,
    ):
        self.setup, self.sink, self.trail, self.rng = setup, sink, trail, rng
        self.now, self.today = now, today
        s = setup.measure_settings
        self.settings = ScheduleSettings(
            instruments_by_condition=s.instruments_by_condition,
            before_each_dose=s.before_each_dose,
            end_of_course=s.end_of_course,
            follow_up_months=s.follow_up_months,
            pre_dose_window_days=s.pre_dose_window_days,
            grace_days=s.grace_days,
        )
        self.delay = dt.timedelta(minutes=s.escalation_delay_minutes)
        self._scores: dict[tuple, tuple] = {}

    def course(self, story: Story, made: Generated, local_date) -> None:
        if story.consent_at is None:
            return  # measures start with preparation
        rng, sink = self.rng, self.sink
        clinic_id = self.setup.clinic.pk
        facts = CourseFacts(
            condition=story.condition,
            status=story.status,
            opened_on=local_date(story.opened_at),
            closed_on=local_date(story.closed_at) if story.closed_at else None,
        )
        doses = [
            DoseFacts(s.number, local_date(s.scheduled_for), s.status == "aborted")
            for s in story.sessions
        ]
        times = {s.number: s.scheduled_for for s in story.sessions}
        baseline = {
            code: max(4, round(value * rng.uniform(0.7, 1.25))) for code, value in BASELINES.items()
        }
        target = TRAJECTORIES[story.trajectory]
        planned = plan_course(facts, doses, self.settings)
        steps = max(1, len({p.slot for p in planned}) - 1)
        slot_order: dict[str, int] = {}
        for measure in planned:
            slot_order.setdefault(measure.slot, len(slot_order))
            step = slot_order[measure.slot]
            # When it would have been answered: the morning of the dose, or soon after it opened.
            if measure.dosing_number is not None:
                when = times[measure.dosing_number] - dt.timedelta(hours=1)
            elif measure.timepoint == "baseline":
                first = min(times.values()) if times else None
                when = (
                    (first - dt.timedelta(hours=2))
                    if first
                    else story.consent_at + dt.timedelta(days=1)
                )
            else:
                start = dt.datetime.combine(measure.available_from, dt.time(17), dt.UTC)
                when = start + dt.timedelta(days=rng.randint(0, 5))
            answered = when < self.now and rng.random() < 0.92
            session_id = made.session_ids.get(measure.dosing_number or -1)
            assignment_id = sink.table(MeasureAssignment).allocate()
            sink.add(
                MeasureAssignment,
                pk=assignment_id,
                clinic_id=clinic_id,
                client_id=made.client_id,
                course_id=made.course_id,
                instrument_code=measure.instrument_code,
                timepoint=measure.timepoint,
                slot=measure.slot,
                dosing_session_id=session_id,
                follow_up_months=measure.follow_up_months,
                available_from=measure.available_from,
                due_by=measure.due_by,
                status=AssignmentStatus.COMPLETED if answered else AssignmentStatus.PENDING,
                completed_at=when if answered else None,
                cancelled_reason="",
                created_at=story.consent_at,
            )
            if answered:
                fraction = 1 + (target - 1) * min(1.0, step / max(1, min(steps, 5)))
                self._response(
                    story,
                    made,
                    measure,
                    assignment_id,
                    when,
                    baseline.get(measure.instrument_code, 10) * fraction,
                )

    def _response(self, story, made, measure, assignment_id, when, total) -> None:
        definition = self.setup.instruments.get(measure.instrument_code)
        if definition is None:
            return
        rng, sink = self.rng, self.sink
        top = definition.definition["scoring"]["total"]["range"][1]
        total = max(0, min(top, round(total * rng.uniform(0.9, 1.1))))
        item9 = 0
        if definition.code == "phq9" and rng.random() < 0.03:
            item9 = rng.choice((1, 1, 2, 3))
        answers, result, hits = self._score(definition, total, item9)
        staff = rng.random() < 0.4
        entered_by = made.therapist.id if staff else None
        response_id = sink.add(
            Response,
            clinic_id=self.setup.clinic.pk,
            client_id=made.client_id,
            course_id=made.course_id,
            instrument_id=definition.pk,
            instrument_code=definition.code,
            assignment_id=assignment_id,
            timepoint=measure.timepoint,
            answers=answers,
            **result.response_fields(),
            completed_at=when,
            source=ResponseSource.STAFF if staff else ResponseSource.LINK,
            entered_by_id=entered_by,
            created_at=when,
        )
        short = definition.short_title
        self.trail.created(
            when,
            entered_by,
            "response",
            response_id,
            f"Recorded {short} ({'Entered by staff' if staff else 'link'})",
            made.client_id,
        )
        for hit in hits:
            acknowledged = when + dt.timedelta(minutes=rng.randint(10, 90))
            done = acknowledged < self.now - dt.timedelta(hours=6)
            alert_id = sink.add(
                RiskAlert,
                clinic_id=self.setup.clinic.pk,
                client_id=made.client_id,
                course_id=made.course_id,
                response_id=response_id,
                rule=hit.key,
                level=hit.level,
                summary=hit.summary[:300],
                raised_at=when,
                escalate_after=when + self.delay,
                acknowledged_at=acknowledged if done else None,
                acknowledged_by_id=made.therapist.id if done else None,
                action_taken=ACTION if done else "",
                escalated_at=None,
            )
            self.trail.created(
                when,
                entered_by,
                "riskalert",
                alert_id,
                f"Risk alert raised: {hit.summary}",
                made.client_id,
            )
            if done:
                self.trail.add(
                    acknowledged,
                    made.therapist.id,
                    "update",
                    "riskalert",
                    alert_id,
                    "Acknowledged a risk alert",
                    made.client_id,
                )

    def _score(self, definition, total: int, item9: int):
        """Answers summing to `total`, scored by kapcare.measures.scoring (cached: the same
        answers always score the same)."""
        key = (definition.pk, total, item9)
        if key not in self._scores:
            answers = answers_for(definition, total, item9)
            result = scoring.score(definition.definition, answers, definition.parameters)
            hits = scoring.alerts_for(definition.definition, answers, result)
            self._scores[key] = (answers, result, hits)
        return self._scores[key]
