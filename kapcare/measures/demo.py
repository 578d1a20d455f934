"""Demo questionnaire data (make run): trajectories along the demo courses' dosing sessions.

Fictional. Each demo course past screening gets responses at its baseline (two days before the
first dose; one day ago while still in preparation) and before each later dose, and at the end
when the course is completed:
responders, non-responders, one deteriorating client, one open and one acknowledged risk alert.
Everything goes through the real services, so scores, bands and alerts are computed as in use.
Idempotent: a course that already has responses is left alone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, User
from kapcare.courses.models import TreatmentCourse
from kapcare.courses.states import BEFORE_PREPARATION
from kapcare.measures.dose_plans import planned_doses
from kapcare.measures.models import AssignmentStatus, InstrumentDefinition, Response
from kapcare.measures.services import record_response
from kapcare.measures.services.alerts import acknowledge_alert
from kapcare.measures.services.instruments import ensure_shipped_instruments, measure_settings
from kapcare.measures.services.schedules import sync_schedules

# Totals at baseline, before dose 2, before dose 3 and at the end, as fractions of each
# instrument's baseline: how the course went.
TRAJECTORIES = {
    "responder": [1.0, 0.7, 0.45, 0.35],
    "non_responder": [1.0, 0.95, 0.92, 0.9],
    "deteriorating": [1.0, 1.2, 1.45, 1.5],
    "partial": [1.0, 0.85, 0.7, 0.6],
}
# Baseline severity per instrument (moderately severe depression, moderate anxiety, probable
# PTSD, probable OCD).
BASELINES = {"phq9": 17, "gad7": 13, "pcl5": 49, "ocir": 31}
# (trajectory, PHQ-9 item 9 at the last measure, acknowledge the alert?) by demo course order.
PLAN = [
    ("responder", 0, False),
    ("non_responder", 0, False),
    ("responder", 0, False),
    ("deteriorating", 1, False),  # open alert: someone on the care team needs to act
    ("partial", 1, True),  # acknowledged alert
    ("responder", 0, False),
    ("non_responder", 0, False),
    ("partial", 0, False),
]


def answers_for(definition: InstrumentDefinition, total: int, item9: int = 0) -> dict:
    """Answers to every scored item summing to `total`, spread evenly (PHQ-9 item 9 given)."""
    spec = definition.definition
    items = [i for i in spec["items"] if i.get("scored", True)]
    top = max(o["value"] for o in spec["answer_sets"][items[0]["answers"]])
    fixed = {"9": item9} if definition.code == "phq9" else {}
    free = [i["key"] for i in items if i["key"] not in fixed]
    left = max(0, min(total - sum(fixed.values()), top * len(free)))
    answers = dict(fixed)
    for index, key in enumerate(free):
        share = -(-left // (len(free) - index))  # ceiling: front-load the remainder
        answers[key] = min(top, share)
        left -= answers[key]
    for item in spec["items"]:
        if not item.get("scored", True):
            answers[item["key"]] = 1
    return answers


def _demo_courses(clinic: Clinic) -> list[TreatmentCourse]:
    """Courses that reached preparation or beyond and have no responses yet."""
    courses = (
        TreatmentCourse.objects.filter(clinic=clinic)
        .exclude(status__in=BEFORE_PREPARATION)
        .select_related("client")
        .order_by("id")
    )
    return [c for c in courses if not Response.objects.filter(course=c).exists()]


def load_measures_demo(clinic: Clinic, staff: dict[str, User]) -> None:
    ensure_shipped_instruments(clinic=clinic)
    settings = measure_settings(clinic)
    definitions = {
        d.code: d for d in InstrumentDefinition.objects.filter(clinic=clinic, is_active=True)
    }
    for position, course in enumerate(_demo_courses(clinic)):
        trajectory, last_item9, acknowledge = PLAN[position % len(PLAN)]
        therapist_user = (
            staff["therapist"]
            if course.client.care_team.filter(user=staff["therapist"]).exists()
            else staff["therapist2"]
        )
        therapist = Actor.for_user(therapist_user, clinic)
        _fill_course(course, therapist, definitions, settings, trajectory, last_item9, acknowledge)


def _fill_course(course, therapist, definitions, settings, trajectory, last_item9, acknowledge):
    sync_schedules(clinic=course.clinic, courses=[course])
    # The course's sessions from the dosing app's dose source (measures sits below dosing).
    sessions = sorted(planned_doses([course]).get(course.pk, []), key=lambda s: s.number)
    # In preparation (no dosing yet) the baseline is the only measure so far.
    first = sessions[0].scheduled_for if sessions else timezone.now() + dt.timedelta(days=1)
    moments = [("baseline", first - dt.timedelta(days=2))]
    moments += [
        (f"pre_dose:{s.number}", s.scheduled_for - dt.timedelta(hours=1)) for s in sessions[1:]
    ]
    if course.status == "completed":
        moments.append(("end", course.closed_at or timezone.now()))
    fractions = TRAJECTORIES[trajectory]
    codes = settings.instruments_by_condition.get(course.condition, [])
    pending = {
        (a.instrument_code, a.slot): a
        for a in course.measure_assignments.filter(status=AssignmentStatus.PENDING)
    }
    for step, (slot, when) in enumerate(moments):
        fraction = fractions[min(step, len(fractions) - 1)]
        last = step == len(moments) - 1
        for code in codes:
            definition = definitions.get(code)
            if definition is None or code not in BASELINES:
                continue
            top = definition.definition["scoring"]["total"]["range"][1]
            total = min(top, round(BASELINES[code] * fraction))
            item9 = last_item9 if last and code == "phq9" else 0
            response = record_response(
                actor=therapist,
                client=course.client,
                definition=definition,
                answers=answers_for(definition, total, item9),
                course=course,
                assignment=pending.get((code, slot)),
                completed_at=min(when, timezone.now()),
            )
            if acknowledge:
                for alert in response.alerts.all():
                    acknowledge_alert(
                        actor=therapist,
                        alert=alert,
                        action_taken=(
                            "Phoned the client the same day: passive thoughts, no plan or "
                            "intent. Safety plan reviewed; C-SSRS screener booked for the "
                            "next visit."
                        ),
                    )
