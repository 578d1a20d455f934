"""What happens when a course is opened or changes status, filled in by the domains above
courses.

Courses sits below measures, so it cannot bring a course's measure schedule up to date itself:
measures registers its reaction here in `AppConfig.ready` (as dosing registers its gates)."""

from __future__ import annotations

from collections.abc import Callable

from kapcare.accounts.actor import Actor

CourseHook = Callable[..., None]
COURSE_CHANGED: list[CourseHook] = []


def on_course_changed(hook: CourseHook) -> None:
    """Register `hook(actor=, course=)`, called inside the transaction that opened the course
    or changed its status (with the row as saved)."""
    if hook not in COURSE_CHANGED:
        COURSE_CHANGED.append(hook)


def course_changed(*, actor: Actor, course) -> None:
    for hook in COURSE_CHANGED:
        hook(actor=actor, course=course)
