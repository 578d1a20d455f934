"""One client's way through the pathway, as times and choices only (no rows): which stage the
course reached, when each step happened, and each dosing session's fate. The domain modules
turn a Story into rows. Pure: everything comes from the seeded generator and `now`."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from kapcare.courses.models import CourseStatus as C
from kapcare.dosing.models import DosingStatus as D

# How courses are spread over the states (courses/states.py), roughly as in a clinic that has
# been open a year and a half: most past clients completed, a steady stream in the pipeline.
COURSE_MIX = [
    (C.SCREENING, 7),
    (C.AWAITING_CONSENT, 6),
    (C.PREPARATION, 8),
    (C.ACTIVE, 27),
    (C.PAUSED, 5),
    (C.COMPLETED, 36),
    (C.DISCONTINUED, 11),
]
CONDITIONS = [("depression", 50), ("anxiety", 15), ("ptsd", 22), ("ocd", 8), ("other", 5)]
# How the symptoms went over the course, as fractions of baseline at each later measure.
TRAJECTORIES = {
    "responder": 0.45,
    "partial": 0.7,
    "non_responder": 0.95,
    "deteriorating": 1.3,
}
TRAJECTORY_MIX = [("responder", 45), ("partial", 30), ("non_responder", 20), ("deteriorating", 5)]
ROUTES = [("im", 68), ("sublingual", 22), ("iv", 10)]
SESSIONS_IN_A_COURSE = 6
LIVE_STATES = [D.CHECKED_IN, D.PRE_DOSE_CHECKS, D.DOSING, D.MONITORING]


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    total = sum(w for _v, w in weighted)
    roll = rng.randrange(total)
    for value, weight in weighted:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable")


@dataclass
class SessionPlan:
    number: int
    scheduled_for: dt.datetime
    status: str
    abort_reason: str = ""


@dataclass
class Story:
    status: str
    condition: str
    trajectory: str
    route: str
    opened_at: dt.datetime
    intake_at: dt.datetime | None = None
    screened_at: dt.datetime | None = None
    screening_kind: str = "clear"  # clear | review | excluded
    decided_at: dt.datetime | None = None
    consent_at: dt.datetime | None = None
    prep_note_at: dt.datetime | None = None
    prep_note_signed: bool = False
    active_at: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    close_reason: str = ""
    sessions: list[SessionPlan] = field(default_factory=list)

    @property
    def reached_consent(self) -> bool:
        return self.consent_at is not None


DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
DISCONTINUE_REASONS = [
    "Client chose to stop treatment.",
    "Moved out of state; referred to a local clinic.",
    "Not eligible under the screening protocol.",
    "Cost; client will return to talk therapy only.",
    "Client did not return after several reminders.",
]
ABORT_REASONS = [
    "Blood pressure above the pre-dose stop line after re-measuring.",
    "Client arrived without an escort for the ride home.",
    "Client unwell (fever) on arrival; rebooked.",
    "Client had eaten within the fasting window.",
]


def _day_at(day_start: dt.datetime, rng: random.Random) -> dt.datetime:
    """A clinic-day time between 09:00 and 14:30 (day_start is local midnight, in UTC)."""
    return day_start + dt.timedelta(hours=9, minutes=30 * rng.randrange(12))


def plan_story(rng: random.Random, *, now: dt.datetime, midnight) -> Story:
    """`midnight(moment)` gives the clinic-local midnight of the moment's day (aware, UTC)."""
    status = pick(rng, COURSE_MIX)
    story = Story(
        status=status,
        condition=pick(rng, CONDITIONS),
        trajectory=pick(rng, TRAJECTORY_MIX),
        route=pick(rng, ROUTES),
        opened_at=now,  # placed below, once the story's length is known
    )
    steps: dict[str, dt.timedelta] = {}
    t = dt.timedelta(0)
    sessions: list[tuple[dt.timedelta, str, str]] = []
    stop_at_screening = status == C.SCREENING or (status == C.DISCONTINUED and rng.random() < 0.25)
    if status != C.SCREENING or rng.random() < 0.6:
        t += DAY * rng.randint(1, 5)
        steps["intake"] = t
        t += HOUR * rng.randint(1, 6)
        steps["screened"] = t
        roll = rng.random()
        story.screening_kind = "review" if roll < 0.2 else "clear"
        if stop_at_screening and status == C.DISCONTINUED:
            story.screening_kind = "excluded"
    if status not in (C.SCREENING,) and not stop_at_screening:
        t += DAY * (rng.randint(1, 3) if story.screening_kind == "review" else 0)
        steps["decided"] = t
        if status != C.AWAITING_CONSENT:
            t += DAY * rng.randint(2, 7)
            steps["consent"] = t
            t += DAY * rng.randint(2, 7)
            steps["prep"] = t
            # Still in preparation: the note is a draft (a signed one would have moved it on).
            story.prep_note_signed = status != C.PREPARATION
    elif stop_at_screening and status == C.DISCONTINUED:
        steps["decided"] = t
    if status in (C.ACTIVE, C.PAUSED, C.COMPLETED, C.DISCONTINUED) and "prep" in steps:
        steps["active"] = steps["prep"]
        if status == C.COMPLETED:
            done = rng.randint(SESSIONS_IN_A_COURSE - 2, SESSIONS_IN_A_COURSE)
        elif status == C.ACTIVE:
            done = rng.randint(1, SESSIONS_IN_A_COURSE - 1)
        else:
            done = rng.randint(1, 3)
        number = 0
        while sum(1 for s in sessions if s[1] == D.DISCHARGED) < done:
            t += DAY * (rng.randint(4, 6) if not sessions else rng.randint(2, 5))
            number += 1
            aborted = rng.random() < 0.03
            reason = ABORT_REASONS[rng.randrange(len(ABORT_REASONS))] if aborted else ""
            sessions.append((t, D.ABORTED if aborted else D.DISCHARGED, reason))
    if status == C.PAUSED:
        t += DAY * rng.randint(1, 5)
        steps["paused"] = t
    if status in (C.COMPLETED, C.DISCONTINUED):
        t += DAY * rng.randint(3, 14)
        steps["closed"] = t

    # Place the story so that it ends before now: completed and discontinued courses may be
    # long over; open ones end within the last days.
    spread = {C.COMPLETED: 480, C.DISCONTINUED: 400, C.PAUSED: 30}.get(status, 6)
    opened = midnight(now - t - DAY * rng.uniform(0.5, spread)) + dt.timedelta(
        hours=9, minutes=rng.randrange(0, 8 * 60)
    )
    story.opened_at = opened

    def at(key: str) -> dt.datetime | None:
        return opened + steps[key] if key in steps else None

    story.intake_at, story.screened_at = at("intake"), at("screened")
    story.decided_at, story.consent_at = at("decided"), at("consent")
    story.prep_note_at, story.active_at = at("prep"), at("active")
    story.paused_at, story.closed_at = at("paused"), at("closed")
    if status == C.DISCONTINUED:
        story.close_reason = (
            DISCONTINUE_REASONS[2]
            if story.screening_kind == "excluded"
            else DISCONTINUE_REASONS[rng.randrange(len(DISCONTINUE_REASONS))]
        )
    elif status == C.PAUSED:
        story.close_reason = "Client travelling; resumes on return."
    for number, (offset, session_status, reason) in enumerate(sessions, start=1):
        when = _day_at(midnight(opened + offset), rng)
        story.sessions.append(
            SessionPlan(number, min(when, now - 4 * HOUR), session_status, reason)
        )
    if status == C.ACTIVE:
        _next_session(story, rng, now=now, midnight=midnight)
    return story


def _next_session(story: Story, rng: random.Random, *, now, midnight) -> None:
    """An active course's next session: booked in the coming days, or (a few) in the chair now."""
    number = len(story.sessions) + 1
    if rng.random() < 0.04:
        status = LIVE_STATES[rng.randrange(len(LIVE_STATES))]
        story.sessions.append(SessionPlan(number, now - dt.timedelta(minutes=40), status))
    else:
        day = midnight(now + DAY * rng.randint(1, 10))
        story.sessions.append(SessionPlan(number, _day_at(day, rng), D.SCHEDULED))
