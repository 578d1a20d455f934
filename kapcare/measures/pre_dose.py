"""The questionnaires the clinic's schedule asks for before one dosing session, and the responses
that answer them: what the dose gate and the pre-dose checks page ask of Measures.

Read only. The schedule is the one `kapcare.measures.rules.plan_course` plans (the baseline
before the first dose, then a measure before each later dose when the clinic's settings say so);
a measure counts as done when a complete response of that instrument exists for the client in
the slot's window: from the day the slot opens (and after the previous dose), up to the moment
asked about.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from kapcare.measures.dose_plans import planned_doses
from kapcare.measures.models import InstrumentCode, InstrumentDefinition, Response, ResponseStatus
from kapcare.measures.rules import CourseFacts, DoseFacts, ScheduleSettings, plan_course
from kapcare.measures.services.instruments import measure_settings


@dataclass(frozen=True)
class PreDoseMeasure:
    code: str
    title: str
    slot: str
    definition: InstrumentDefinition | None  # None: the instrument is not set up at the clinic
    response: Response | None  # the complete response that answers it, if any

    @property
    def done(self) -> bool:
        return self.response is not None


def _local_date(moment, zone):
    return moment.astimezone(zone).date() if moment else None


def pre_dose_measures(session, at: dt.datetime) -> list[PreDoseMeasure]:
    """Every questionnaire the schedule asks for before `session` (the dosing app's session:
    its pk, number, course, clinic, client_id and dose_started_at are read), each with the
    newest complete response that answers it at `at`, or none. The course's other sessions
    come from the dosing app's dose source (kapcare.measures.dose_plans)."""
    course, clinic = session.course, session.clinic
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    settings = measure_settings(clinic)
    sessions = planned_doses([course]).get(course.pk, [])
    facts = CourseFacts(
        condition=course.condition,
        status=course.status,
        opened_on=_local_date(course.opened_at, zone),
        closed_on=_local_date(course.closed_at, zone),
    )
    doses = [DoseFacts(s.number, _local_date(s.scheduled_for, zone), s.aborted) for s in sessions]
    plan = plan_course(
        facts,
        doses,
        ScheduleSettings(
            instruments_by_condition=settings.instruments_by_condition,
            before_each_dose=settings.before_each_dose,
            end_of_course=settings.end_of_course,
            follow_up_months=settings.follow_up_months,
            pre_dose_window_days=settings.pre_dose_window_days,
            grace_days=settings.grace_days,
        ),
    )
    live = sorted(
        (s for s in sessions if not s.aborted or s.session_id == session.pk),
        key=lambda s: (_local_date(s.scheduled_for, zone), s.number),
    )
    first = bool(live) and live[0].session_id == session.pk
    wanted = {"baseline"} if first else {f"pre_dose:{session.number}"}
    planned = [p for p in plan if p.slot in wanted]
    if not planned:
        return []
    # Not a response given before the previous dose: that one answered the previous session.
    earlier = [s.dose_started_at for s in live if s.dose_started_at and s.session_id != session.pk]
    earlier = [t for t in earlier if t < (session.dose_started_at or at)]
    definitions = {
        d.code: d
        for d in InstrumentDefinition.objects.filter(
            clinic=clinic, is_active=True, code__in=[p.instrument_code for p in planned]
        )
    }
    out = []
    for item in planned:
        opens = dt.datetime.combine(item.available_from, dt.time(), tzinfo=zone)
        since = max([opens, *earlier])
        response = (
            Response.objects.filter(
                clinic=clinic,
                client_id=session.client_id,
                instrument_code=item.instrument_code,
                status=ResponseStatus.COMPLETE,
                completed_at__gte=since,
                completed_at__lte=at,
            )
            .select_related("instrument")
            .order_by("-completed_at", "-id")
            .first()
        )
        definition = definitions.get(item.instrument_code)
        code = item.instrument_code
        title = InstrumentCode(code).label if code in InstrumentCode.values else code.upper()
        out.append(PreDoseMeasure(code, title, item.slot, definition, response))
    return out


def higher_item9(typed: int | None, measures: list[PreDoseMeasure]) -> int | None:
    """PHQ-9 item 9 (thoughts of self-harm) for the pre-dose checklist: the higher of what was
    typed and what the session's PHQ-9 response says. A risk answer in Measures is never
    lowered by retyping it (FACTS.md §8)."""
    phq9 = next((m for m in measures if m.code == "phq9" and m.done), None)
    found = phq9.response.answers.get("9") if phq9 else None
    if found is None:
        return typed
    return found if typed is None else max(typed, found)
