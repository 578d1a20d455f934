"""A course's dosing sessions as the apps below dosing see them: opaque ids with a number.

Dosing sits above courses, the ledger and measures, so none of them may read its sessions. They
keep a session's id as a plain number (an integration note's, a ledger entry's); the dosing app
registers a directory here in `AppConfig.ready` that says which sessions a course has and what
each is called. Both questions are answered in one query for many courses or ids, so list pages
keep a bounded number of queries. With nothing registered a course has no sessions and an id is
shown as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SessionRef:
    """A dosing session as the lower apps know it. `number` is None when no directory knows
    the id (then `shown` is the bare id)."""

    id: int
    course_id: int | None = None
    number: int | None = None
    scheduled_for: dt.datetime | None = None

    @property
    def shown(self) -> str:
        return str(self.number) if self.number is not None else f"#{self.id}"


# (course ids) -> their sessions; (session ids) -> those sessions.
OfCourses = Callable[[Collection[int]], Iterable[SessionRef]]
ByIds = Callable[[Collection[int]], Iterable[SessionRef]]


@dataclass(frozen=True)
class _Directory:
    of_courses: OfCourses
    by_ids: ByIds


_DIRECTORY: list[_Directory] = []


def register_directory(*, of_courses: OfCourses, by_ids: ByIds) -> None:
    """Called once, by the dosing app (a second registration replaces the first)."""
    _DIRECTORY[:] = [_Directory(of_courses, by_ids)]


def sessions_of_course(course_id: int) -> list[SessionRef]:
    """The course's sessions, newest scheduled first."""
    if not _DIRECTORY:
        return []
    found = [s for s in _DIRECTORY[0].of_courses([course_id]) if s.course_id == course_id]
    return sorted(found, key=lambda s: (s.scheduled_for is not None, s.scheduled_for), reverse=True)


def sessions_by_id(ids: Iterable[int | None]) -> dict[int, SessionRef]:
    """Every id given (None skipped) with what the directory knows of it, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    known = {s.id: s for s in _DIRECTORY[0].by_ids(wanted)} if _DIRECTORY else {}
    return {i: known.get(i, SessionRef(i)) for i in wanted}
