"""FHIR search parameters (FHIR R4 "Search"): parsing values and turning them into filters.

A resource type declares its parameters with the builders below (`token`, `reference`, `date`,
`string`, `ids`); the engine (kapcare.fhir.engine) applies each occurrence of a parameter as AND
and each comma-separated value inside one as OR, as the specification says. A value kapcare
cannot understand is a 400, never a silently empty or unfiltered result.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from kapcare.fhir.errors import FhirError

Filter = Callable[[list[str]], Q]


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR SearchParamType: token, reference, date, string
    documentation: str
    to_q: Filter  # one occurrence's comma-separated values (already split) → a filter

    def apply(self, rows: QuerySet, occurrences: list[str]) -> QuerySet:
        for occurrence in occurrences:
            values = [v for v in occurrence.split(",") if v != ""]
            if not values:
                raise FhirError(
                    400, f"Search parameter {self.name} has no value.", expression=self.name
                )
            rows = rows.filter(self.to_q(values))
        return rows


def _any(values: list[str], one: Callable[[str], Q]) -> Q:
    match = Q()
    for value in values:
        match |= one(value)
    return match


# --- token: [system]|[code] or code ---------------------------------------------------------


def split_token(value: str) -> tuple[str | None, str]:
    """`system|code` → (system, code); `|code` → ("", code); bare `code` → (None, code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def token(name: str, documentation: str, match: Callable[[str | None, str], Q]) -> SearchParam:
    """`match(system, code)` gives the filter for one token; system None means any system."""
    return SearchParam(
        name, "token", documentation, lambda values: _any(values, lambda v: match(*split_token(v)))
    )


def choice_token(name: str, documentation: str, field: str, codes: dict[str, str]) -> SearchParam:
    """A token over a fixed set of FHIR codes (`codes` maps FHIR code → stored value)."""

    def match(system: str | None, code: str) -> Q:
        if code not in codes:
            known = ", ".join(sorted(codes))
            raise FhirError(400, f"{name}={code} is not one of: {known}.", expression=name)
        return Q(**{field: codes[code]})

    return token(name, documentation, match)


# --- reference: Type/id, id, or an absolute URL ending in Type/id -----------------------------

# The base URL part is lazy, so a relative `Group/1` keeps its type (a greedy one swallowed it).
_REFERENCE = re.compile(r"^(?:.*?/)??(?:(?P<type>[A-Z][A-Za-z]+)/)?(?P<id>[A-Za-z0-9\-.]{1,64})$")


def reference_id(value: str, resource_type: str, parameter: str) -> int | None:
    """The database id a reference names, or None when it cannot name a kapcare row (matches
    nothing). A reference to another resource type is a 400."""
    match = _REFERENCE.match(value)
    if not match:
        raise FhirError(400, f"{parameter}={value} is not a reference.", expression=parameter)
    if match["type"] and match["type"] != resource_type:
        raise FhirError(
            400,
            f"{parameter} refers to a {resource_type}, not a {match['type']}.",
            expression=parameter,
        )
    ident = match["id"]
    return int(ident) if ident.isdigit() and len(ident) < 19 else None


def reference(name: str, documentation: str, field: str, resource_type: str) -> SearchParam:
    def one(value: str) -> Q:
        pk = reference_id(value, resource_type, name)
        return Q(**{field: pk}) if pk is not None else Q(pk__in=[])

    return SearchParam(name, "reference", documentation, lambda values: _any(values, one))


def ids(documentation: str = "The resource's logical id.") -> SearchParam:
    def one(value: str) -> Q:
        return Q(pk=int(value)) if value.isdigit() and len(value) < 19 else Q(pk__in=[])

    return SearchParam("_id", "token", documentation, lambda values: _any(values, one))


# --- date: [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]] -----------------------------------------

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def date_range(text: str, parameter: str = "date") -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) a FHIR date value covers at its precision: `2026-03` is all of
    March; a date without a zone is the active time zone's (the clinic's) day."""
    match = _DATE.match(text)
    if not match:
        raise FhirError(400, f"{parameter}={text} is not a FHIR date.", expression=parameter)
    parts = {k: int(v) for k, v in match.groupdict().items() if v and k != "tz"}
    try:
        year = parts["y"]
        if "m" not in parts:
            start = dt.datetime(year, 1, 1)
            end = dt.datetime(year + 1, 1, 1)
        elif "d" not in parts:
            start = dt.datetime(year, parts["m"], 1)
            end = dt.datetime(year + parts["m"] // 12, parts["m"] % 12 + 1, 1)
        elif "H" not in parts:
            start = dt.datetime(year, parts["m"], parts["d"])
            end = start + dt.timedelta(days=1)
        else:
            start = dt.datetime(
                year, parts["m"], parts["d"], parts["H"], parts["M"], parts.get("S", 0)
            )
            end = start + (dt.timedelta(seconds=1) if "S" in parts else dt.timedelta(minutes=1))
    except (ValueError, OverflowError):
        raise FhirError(
            400, f"{parameter}={text} is not a real date.", expression=parameter
        ) from None
    zone_text = match["tz"]
    if zone_text:
        zone = dt.UTC if zone_text == "Z" else dt.datetime.strptime(zone_text, "%z").tzinfo
        return start.replace(tzinfo=zone), end.replace(tzinfo=zone)
    current = timezone.get_current_timezone()
    return timezone.make_aware(start, current), timezone.make_aware(end, current)


def date_filter(field: str, value: str, parameter: str, *, is_date: bool = False) -> Q:
    prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
    if value[:2].isalpha() and value[:2] not in PREFIXES:
        raise FhirError(
            400,
            f"{parameter}: the prefix {value[:2]} is not supported (use eq, ne, gt, lt, ge, le).",
            expression=parameter,
        )
    start, end = date_range(text, parameter)
    low, high = (start.date(), end.date()) if is_date else (start, end)
    return {
        "eq": Q(**{f"{field}__gte": low, f"{field}__lt": high}),
        "ne": ~Q(**{f"{field}__gte": low, f"{field}__lt": high}),
        "gt": Q(**{f"{field}__gte": high}),
        "ge": Q(**{f"{field}__gte": low}),
        "lt": Q(**{f"{field}__lt": low}),
        "le": Q(**{f"{field}__lt": high}),
    }[prefix]


def date(name: str, documentation: str, field: str, *, is_date: bool = False) -> SearchParam:
    """`field` is a DateTimeField (or a DateField with is_date=True)."""
    return SearchParam(
        name,
        "date",
        documentation,
        lambda values: _any(values, lambda v: date_filter(field, v, name, is_date=is_date)),
    )


# --- string: starts with, case-insensitive, over one or more fields --------------------------


def string(name: str, documentation: str, fields: tuple[str, ...]) -> SearchParam:
    def one(value: str) -> Q:
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__istartswith": value})
        return match

    return SearchParam(name, "string", documentation, lambda values: _any(values, one))
