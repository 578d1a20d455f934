"""Pure calendar arithmetic: intervals, weekly hours in a clinic's time zone, buffers, late
cancellations. No database here; services and selectors feed it rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

Interval = tuple[dt.datetime, dt.datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The same time as `intervals`, sorted, with overlapping and touching ones joined."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(free: Iterable[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` with every stretch of `busy` taken out."""
    result = merge(free)
    for b_start, b_end in merge(busy):
        next_result: list[Interval] = []
        for start, end in result:
            if b_end <= start or b_start >= end:
                next_result.append((start, end))
                continue
            if start < b_start:
                next_result.append((start, b_start))
            if b_end < end:
                next_result.append((b_end, end))
        result = next_result
    return result


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The time in both `a` and `b`."""
    left, right = merge(a), merge(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            out.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def covers(intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    """Whether [start, end) lies inside one of `intervals` (merged first)."""
    return any(s <= start and end <= e for s, e in merge(intervals))


def weekly_intervals(
    hours: Iterable[tuple[int, dt.time, dt.time]],
    *,
    first_day: dt.date,
    last_day: dt.date,
    zone: ZoneInfo,
) -> list[Interval]:
    """Weekly hours (weekday 0 = Monday, local start and end) as real intervals on every day
    from `first_day` to `last_day`. Local times are turned into instants in `zone` on each day,
    so 9:00 stays 9:00 across a daylight-saving change."""
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, starts, ends in hours:
        by_day.setdefault(weekday, []).append((starts, ends))
    out: list[Interval] = []
    day = first_day
    while day <= last_day:
        for starts, ends in by_day.get(day.weekday(), ()):
            out.append(
                (
                    dt.datetime.combine(day, starts, tzinfo=zone),
                    dt.datetime.combine(day, ends, tzinfo=zone),
                )
            )
        day += dt.timedelta(days=1)
    return merge(out)


def hold_window(
    starts_at: dt.datetime, ends_at: dt.datetime, *, before_minutes: int, after_minutes: int
) -> Interval:
    """The time an appointment holds its people and resources: itself plus the type's buffers
    (room turnover, setting up the infusion)."""
    return (
        starts_at - dt.timedelta(minutes=before_minutes),
        ends_at + dt.timedelta(minutes=after_minutes),
    )


def is_late_cancellation(
    starts_at: dt.datetime, *, now: dt.datetime, late_cancel_hours: int
) -> bool:
    return starts_at - now < dt.timedelta(hours=late_cancel_hours)


def missing_from(needed: Sequence[str], given: Sequence[str]) -> list[str]:
    """The entries of `needed` (with repeats) that `given` does not supply."""
    left = list(given)
    missing = []
    for item in needed:
        if item in left:
            left.remove(item)
        else:
            missing.append(item)
    return missing


def dosing_length_error(*, duration_minutes: int, min_observation_minutes: int) -> str | None:
    """A dosing appointment must last at least the route's minimum observation time (FACTS.md
    §4.4, the dosing protocol's `min_observation_minutes_<route>`), counted from the dose."""
    if duration_minutes < min_observation_minutes:
        return (
            f"A dosing appointment of this route lasts at least {min_observation_minutes} "
            "minutes: the protocol's minimum observation time."
        )
    return None
