"""When each questionnaire is due in a course: pure planning from dates and settings (no ORM).

The default schedule (the issue; DESIGN.md "measures at baseline, before each dose, end,
follow-ups") is: a baseline before the first dose, a measure before each later dosing session,
one at the end of the course and follow-ups 1, 3 and 6 months after it. Every part is a clinic
setting (MeasureSettings). Dates are the clinic's calendar days.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kapcare.courses.states import CLOSED

# Which instruments a course gets, by its primary condition (FACTS.md §1: PHQ-9 depression,
# GAD-7 anxiety, PCL-5 PTSD, OCI-R OCD; PHQ-9 alongside for its item-9 risk question).
DEFAULT_INSTRUMENTS: dict[str, list[str]] = {
    "depression": ["phq9", "gad7"],
    "anxiety": ["gad7", "phq9"],
    "ptsd": ["pcl5", "phq9"],
    "ocd": ["ocir", "phq9"],
    "other": ["phq9", "gad7"],
}
DEFAULT_FOLLOW_UP_MONTHS = [1, 3, 6]


@dataclass(frozen=True)
class CourseFacts:
    condition: str
    status: str
    opened_on: dt.date
    closed_on: dt.date | None


@dataclass(frozen=True)
class DoseFacts:
    number: int
    on: dt.date
    aborted: bool = False


@dataclass(frozen=True)
class ScheduleSettings:
    instruments_by_condition: Mapping[str, Sequence[str]]
    before_each_dose: bool = True
    end_of_course: bool = True
    follow_up_months: Sequence[int] = tuple(DEFAULT_FOLLOW_UP_MONTHS)
    pre_dose_window_days: int = 3
    grace_days: int = 14


@dataclass(frozen=True)
class PlannedMeasure:
    instrument_code: str
    timepoint: str
    slot: str
    available_from: dt.date
    due_by: dt.date
    dosing_number: int | None = None
    follow_up_months: int | None = None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_course(
    course: CourseFacts, doses: Iterable[DoseFacts], settings: ScheduleSettings
) -> list[PlannedMeasure]:
    """Every measure the course should have, whatever has been done so far.

    The first dosing session's pre-dose measure is the baseline (due on its day), so a client is
    not asked the same questions twice on one morning. Aborted sessions need no measure. End and
    follow-up measures appear once the course is closed; a discontinued course gets the end
    measure (so its outcome is known) but no follow-ups."""
    codes = list(settings.instruments_by_condition.get(course.condition, []))
    live = sorted((d for d in doses if not d.aborted), key=lambda d: (d.on, d.number))
    grace = dt.timedelta(days=settings.grace_days)
    window = dt.timedelta(days=settings.pre_dose_window_days)
    slots: list[tuple[str, str, dt.date, dt.date, int | None, int | None]] = []

    first = live[0] if live else None
    baseline_due = max(first.on, course.opened_on) if first else course.opened_on + grace
    slots.append(("baseline", "baseline", course.opened_on, baseline_due, None, None))
    if settings.before_each_dose:
        for dose in live[1:]:
            available = min(max(dose.on - window, course.opened_on), dose.on)
            slots.append(
                ("pre_dose", f"pre_dose:{dose.number}", available, dose.on, dose.number, None)
            )
    if course.closed_on is not None and course.status in CLOSED:
        if settings.end_of_course:
            slots.append(("end", "end", course.closed_on, course.closed_on + grace, None, None))
        if course.status == "completed":
            for months in sorted(set(settings.follow_up_months)):
                start = add_months(course.closed_on, months)
                slots.append(
                    ("follow_up", f"follow_up:{months}", start, start + grace, None, months)
                )
    return [
        PlannedMeasure(code, timepoint, slot, available, due, number, months)
        for code in codes
        for timepoint, slot, available, due, number, months in slots
    ]


def follow_up_months_errors(value: object) -> str | None:
    """A clinic's follow-up list: whole months from 1 to 36, no repeats."""
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 36 for v in value
    ):
        return "Give whole months from 1 to 36, separated by commas."
    if len(set(value)) != len(value):
        return "Each follow-up month once, please."
    return None
