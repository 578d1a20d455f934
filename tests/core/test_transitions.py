"""The one transition mechanism (kapcare.core.transitions): lock and re-read the row, check the
table, the reason and the domain's preconditions, then change the status with its history row
and audit row, or change nothing and say why. Courses, dosing sessions and discrepancy cases all
use it; their own transition tests are in tests/courses, tests/dosing and tests/ledger.

A course row stands in for "any record with a status", moved by a small table made up here, so
these tests are about the mechanism and not about the course pathway."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditEvent
from kapcare.core.transitions import StateMachine, TransitionRefused, transition
from kapcare.courses.models import CourseStatus as S
from kapcare.courses.models import CourseStatusChange, TreatmentCourse
from tests.factories import ClientFactory
from tests.pathway import actor

TABLE = {
    S.SCREENING: frozenset({S.PREPARATION, S.DISCONTINUED}),
    S.PREPARATION: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.DISCONTINUED: frozenset(),
}


def _machine(**overrides) -> StateMachine:
    settings = {
        "table": TABLE,
        "refused": lambda a, b: f"No step from {a} to {b}.",
        "summary": lambda row, a, b: f"Moved {a} to {b}",
        "reason_required": frozenset({S.DISCONTINUED}),
        "reason_missing": lambda: "Say why.",
        "reason_field": "reason",
        "history": CourseStatusChange,
        "history_owner": "course",
        "client": lambda row: row.client,
    }
    return StateMachine(**{**settings, **overrides})


@pytest.fixture
def course(client_record):
    return TreatmentCourse.objects.create(
        clinic=client_record.clinic, client=client_record, condition="depression"
    )


@pytest.fixture
def therapist(clinic, staff):
    return actor(staff[Role.THERAPIST], clinic)


def _audits(course):
    return AuditEvent.objects.filter(object_type="treatmentcourse", object_id=str(course.pk))


def test_an_allowed_step_changes_the_status_and_writes_one_history_row_and_one_audit_row(
    course, therapist
):
    # Given a record in screening
    # When it moves to preparation, with extra fields and audit details
    fresh = transition(
        course,
        machine=_machine(),
        to=S.PREPARATION,
        actor=therapist,
        reason="  ready  ",
        details={"automatic": False},
    )

    # Then the row, the caller's object and the fresh row all say preparation
    course.refresh_from_db()
    assert course.status == fresh.status == S.PREPARATION
    # and one history row says who moved it, from what, to what and why
    (change,) = CourseStatusChange.objects.filter(course=course)
    assert (change.from_status, change.to_status, change.reason) == (
        S.SCREENING,
        S.PREPARATION,
        "ready",
    )
    assert change.changed_by == therapist.user
    # and one audit row, about the record's client, with the step in its details
    (event,) = _audits(course)
    assert event.client_id == course.client_id
    assert event.summary == "Moved screening to preparation"
    assert event.details == {"from": S.SCREENING, "to": S.PREPARATION, "automatic": False}


def test_a_step_the_table_does_not_allow_is_refused_and_changes_nothing(course, therapist):
    # When a record in screening is moved straight to completed
    with pytest.raises(TransitionRefused, match="No step from screening to completed"):
        transition(course, machine=_machine(), to=S.COMPLETED, actor=therapist)

    # Then nothing was written
    course.refresh_from_db()
    assert course.status == S.SCREENING
    assert not CourseStatusChange.objects.filter(course=course).exists()
    assert not _audits(course).exists()


def test_a_step_that_needs_a_reason_is_refused_at_the_reason_field_without_one(course, therapist):
    with pytest.raises(TransitionRefused) as refused:
        transition(course, machine=_machine(), to=S.DISCONTINUED, actor=therapist, reason=" ")

    assert refused.value.message_dict == {"reason": ["Say why."]}
    course.refresh_from_db()
    assert course.status == S.SCREENING and not _audits(course).exists()


def test_without_a_reason_field_the_missing_reason_is_a_message_for_the_whole_form(
    course, therapist
):
    with pytest.raises(TransitionRefused) as refused:
        transition(course, machine=_machine(reason_field=None), to=S.DISCONTINUED, actor=therapist)

    assert refused.value.messages == ["Say why."]


def test_the_domains_own_precondition_refuses_with_its_message_after_the_table(course, therapist):
    # Given a precondition that sees the locked row
    seen = []

    def not_yet(row):
        seen.append(row.status)
        return "The gates are not passed."

    # When the step is allowed by the table but not by the precondition
    with pytest.raises(TransitionRefused, match="The gates are not passed"):
        transition(course, machine=_machine(), to=S.PREPARATION, actor=therapist, check=not_yet)

    # Then the precondition was asked about the row as it stood, and nothing changed
    assert seen == [S.SCREENING]
    course.refresh_from_db()
    assert course.status == S.SCREENING and not _audits(course).exists()

    # And a step the table refuses never reaches the precondition
    seen.clear()
    with pytest.raises(TransitionRefused, match="No step"):
        transition(course, machine=_machine(), to=S.COMPLETED, actor=therapist, check=not_yet)
    assert seen == []


def test_fields_and_side_effects_happen_with_the_change_and_reach_the_audit_details(
    course, therapist
):
    def side_effect(row):
        return {"also": row.pk}

    transition(
        course,
        machine=_machine(),
        to=S.PREPARATION,
        actor=therapist,
        fields={"condition": "ptsd"},
        apply=side_effect,
    )

    course.refresh_from_db()
    assert course.condition == "ptsd"
    (event,) = _audits(course)
    assert event.details["also"] == course.pk


def test_a_model_without_history_rows_gets_only_the_audit_row(course, therapist):
    transition(course, machine=_machine(history=None), to=S.PREPARATION, actor=therapist)

    assert not CourseStatusChange.objects.filter(course=course).exists()
    assert _audits(course).count() == 1


def test_the_table_is_checked_against_the_row_as_stored_not_a_stale_copy(course, therapist):
    # Given someone else completed the course after this copy was read
    stale = TreatmentCourse.objects.get(pk=course.pk)
    TreatmentCourse.objects.filter(pk=course.pk).update(status=S.COMPLETED)
    assert stale.status == S.SCREENING

    # When the stale copy is moved as if it were still in screening
    with pytest.raises(TransitionRefused, match="No step from completed to preparation"):
        transition(stale, machine=_machine(), to=S.PREPARATION, actor=therapist)

    # Then the stored status stands
    course.refresh_from_db()
    assert course.status == S.COMPLETED


def test_the_row_is_read_under_a_lock(course, therapist):
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite has no row locks; it serialises writers instead")
    with CaptureQueriesContext(connection) as queries:
        transition(course, machine=_machine(), to=S.PREPARATION, actor=therapist)

    table = TreatmentCourse._meta.db_table
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"] and table in q["sql"]]
    assert locking, [q["sql"] for q in queries]


@pytest.mark.django_db(transaction=True)
def test_two_people_moving_one_row_at_once_make_one_change(clinic, staff):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so nothing runs in parallel; run on PostgreSQL")
    # Given one record in screening, and two people moving it to preparation at the same moment
    client = ClientFactory(clinic=clinic)
    course = TreatmentCourse.objects.create(clinic=clinic, client=client, condition="depression")
    therapist = actor(staff[Role.THERAPIST], clinic)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def move():
        try:
            start.wait(timeout=10)
            transition(
                TreatmentCourse.objects.get(pk=course.pk),
                machine=_machine(table={**TABLE, S.PREPARATION: frozenset()}),
                to=S.PREPARATION,
                actor=therapist,
            )
            outcomes.append("moved")
        except TransitionRefused:
            outcomes.append("refused")
        except Exception as error:  # a deadlock or a lost update fails the test
            outcomes.append(f"error: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=move) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then one of them moved it and the other was told it no longer could: one history row
    assert sorted(outcomes) == ["moved", "refused"], outcomes
    assert CourseStatusChange.objects.filter(course=course).count() == 1
