"""Courses keeps a dosing session as an opaque id: the dosing app's directory says which
sessions a course has and what each is called, and an integration note can only follow one of
its own course's sessions."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kapcare.courses import dosing_sessions
from kapcare.courses.dosing_sessions import SessionRef, sessions_by_id, sessions_of_course
from kapcare.courses.models import NoteKind, TreatmentCourse
from kapcare.courses.services.notes import create_note
from kapcare.dosing.models import DosingSession
from tests.factories import ClientFactory
from tests.pathway import actor, ready_course


def _session(course, number, hours_ago):
    return DosingSession.objects.create(
        clinic=course.clinic,
        client=course.client,
        course=course,
        number=number,
        scheduled_for=timezone.now() - timezone.timedelta(hours=hours_ago),
    )


def test_the_directory_lists_a_courses_sessions_newest_first_and_names_them(
    clinic, staff, client_record
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    first, second = _session(course, 1, 48), _session(course, 2, 2)
    other = TreatmentCourse.objects.create(
        clinic=clinic, client=ClientFactory(clinic=clinic), condition="depression"
    )
    _session(other, 1, 1)

    assert [s.id for s in sessions_of_course(course.pk)] == [second.pk, first.pk]
    named = sessions_by_id([first.pk, None, 987654])
    assert (named[first.pk].number, named[first.pk].course_id) == (1, course.pk)
    # an id no session has is shown as it is
    assert named[987654] == SessionRef(987654) and named[987654].shown == "#987654"


def test_with_no_directory_a_course_has_no_sessions_and_an_id_is_shown_bare(monkeypatch):
    monkeypatch.setattr(dosing_sessions, "_DIRECTORY", [])
    assert sessions_of_course(1) == []
    assert sessions_by_id([7]) == {7: SessionRef(7)}
    assert sessions_by_id([7])[7].shown == "#7"


@pytest.mark.parametrize("which", ["other course", "no such session", "none"])
def test_an_integration_note_follows_a_session_of_its_own_course(
    clinic, staff, client_record, which
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    own = _session(course, 1, 30)
    other = TreatmentCourse.objects.create(
        clinic=clinic, client=ClientFactory(clinic=clinic), condition="depression"
    )
    session_id = {"other course": _session(other, 1, 30).pk, "no such session": 987654}.get(which)
    therapist = actor(staff["therapist"], clinic)
    with pytest.raises(ValidationError) as refused:
        create_note(
            actor=therapist,
            course=course,
            kind=NoteKind.INTEGRATION,
            session_date=clinic.today(),
            dosing_session_id=session_id,
            content={"insights": "x"},
        )
    assert "dosing_session" in refused.value.message_dict
    note = create_note(
        actor=therapist,
        course=course,
        kind=NoteKind.INTEGRATION,
        session_date=clinic.today(),
        dosing_session_id=own.pk,
        content={"insights": "x"},
    )
    assert note.dosing_session_id == own.pk
