"""When people and resources can be booked: weekly hours, one-off exceptions and clinic
closures, read in a few queries for a whole window and turned into intervals (rules.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from kapcare.accounts.models import Clinic
from kapcare.scheduling import rules
from kapcare.scheduling.models import AvailabilityException, Hold, WeeklyHours
from kapcare.scheduling.rules import Interval

# Holders are keyed the way holds are: ("user", id), ("resource", id), ("client", id).
Holder = tuple[str, int]


def holder_key(
    user_id: int | None, resource_id: int | None, client_id: int | None = None
) -> Holder:
    """The holder a row names (a hold, weekly hours, an exception): exactly one id is set."""
    if user_id:
        return ("user", user_id)
    if resource_id:
        return ("resource", resource_id)
    assert client_id is not None
    return ("client", client_id)


def _local_days(clinic: Clinic, start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    zone = clinic.zone
    return start.astimezone(zone).date(), end.astimezone(zone).date()


def open_time(
    clinic: Clinic, holders: Iterable[Holder], start: dt.datetime, end: dt.datetime
) -> dict[Holder, list[Interval]]:
    """For each staff or resource holder, the time in [start, end) they can be booked, before
    other bookings are taken out: weekly hours, plus extra hours, minus leave, minus closures.
    A resource with no weekly hours at all is open whenever the clinic is not closed. Clients
    are always open (their own bookings are taken out by `busy_time`). Three queries."""
    holders = list(holders)
    users = [i for kind, i in holders if kind == "user"]
    resources = [i for kind, i in holders if kind == "resource"]
    first_day, last_day = _local_days(clinic, start, end)
    weekly: dict[Holder, list[tuple[int, dt.time, dt.time]]] = defaultdict(list)
    for row in WeeklyHours.objects.filter(clinic=clinic).filter(
        Q(user_id__in=users) | Q(resource_id__in=resources)
    ):
        weekly[holder_key(row.user_id, row.resource_id)].append((row.weekday, row.starts, row.ends))
    extra: dict[Holder, list[Interval]] = defaultdict(list)
    away: dict[Holder, list[Interval]] = defaultdict(list)
    closures: list[Interval] = []
    for row in AvailabilityException.objects.filter(
        clinic=clinic, starts_at__lt=end, ends_at__gt=start
    ).filter(
        Q(user_id__in=users)
        | Q(resource_id__in=resources)
        | Q(user__isnull=True, resource__isnull=True)
    ):
        span = (row.starts_at, row.ends_at)
        if row.user_id is None and row.resource_id is None:
            closures.append(span)
            continue
        (extra if row.available else away)[holder_key(row.user_id, row.resource_id)].append(span)
    window = [(start, end)]
    out: dict[Holder, list[Interval]] = {}
    for holder in holders:
        kind = holder[0]
        if kind == "client" or (kind == "resource" and holder not in weekly):
            base = window
        else:
            base = rules.weekly_intervals(
                weekly.get(holder, ()), first_day=first_day, last_day=last_day, zone=clinic.zone
            )
        base = rules.merge([*base, *extra.get(holder, ())])
        base = rules.subtract(base, [*away.get(holder, ()), *closures])
        out[holder] = rules.intersect(base, window)
    return out


def holder_q(holders: Iterable[Holder]) -> Q:
    """Holds of any of `holders`."""
    q = Q(pk__in=[])
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, pk in holders:
        by_kind[kind].append(pk)
    for kind, pks in by_kind.items():
        q |= Q(**{f"{kind}_id__in": pks})
    return q


def busy_time(
    holders: Iterable[Holder],
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_appointment_id: int | None = None,
) -> dict[Holder, list[Interval]]:
    """Each holder's active holds overlapping [start, end). One query."""
    holders = list(holders)
    holds = Hold.objects.filter(
        holder_q(holders), active=True, starts_at__lt=end, ends_at__gt=start
    )
    if exclude_appointment_id is not None:
        holds = holds.exclude(appointment_id=exclude_appointment_id)
    out: dict[Holder, list[Interval]] = {h: [] for h in holders}
    for user_id, resource_id, client_id, s, e in holds.values_list(
        "user_id", "resource_id", "client_id", "starts_at", "ends_at"
    ):
        out.setdefault(holder_key(user_id, resource_id, client_id), []).append((s, e))
    return {key: rules.merge(spans) for key, spans in out.items()}
