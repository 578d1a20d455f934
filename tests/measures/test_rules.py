"""The measurement schedule of a course (kapcare.measures.rules): pure planning."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kapcare.measures.rules import (
    DEFAULT_INSTRUMENTS,
    CourseFacts,
    DoseFacts,
    ScheduleSettings,
    add_months,
    follow_up_months_errors,
    plan_course,
)

D = dt.date
SETTINGS = ScheduleSettings(instruments_by_condition={"depression": ["phq9"]})


def slots(plan):
    return {(p.slot, p.available_from, p.due_by) for p in plan}


def test_active_course_gets_baseline_before_first_dose_and_one_before_each_later_dose():
    course = CourseFacts("depression", "active", D(2026, 3, 1), None)
    doses = [
        DoseFacts(1, D(2026, 3, 10)),
        DoseFacts(2, D(2026, 3, 13)),
        DoseFacts(3, D(2026, 3, 17)),
    ]
    assert slots(plan_course(course, doses, SETTINGS)) == {
        ("baseline", D(2026, 3, 1), D(2026, 3, 10)),
        ("pre_dose:2", D(2026, 3, 10), D(2026, 3, 13)),
        ("pre_dose:3", D(2026, 3, 14), D(2026, 3, 17)),
    }


def test_baseline_without_sessions_due_after_grace():
    course = CourseFacts("depression", "preparation", D(2026, 3, 1), None)
    assert slots(plan_course(course, [], SETTINGS)) == {("baseline", D(2026, 3, 1), D(2026, 3, 15))}


def test_aborted_session_needs_no_measure():
    course = CourseFacts("depression", "active", D(2026, 3, 1), None)
    doses = [DoseFacts(1, D(2026, 3, 10)), DoseFacts(2, D(2026, 3, 13), aborted=True)]
    assert {p.slot for p in plan_course(course, doses, SETTINGS)} == {"baseline"}


def test_completed_course_gets_end_and_default_follow_ups_1_3_6_months():
    course = CourseFacts("depression", "completed", D(2026, 1, 5), D(2026, 1, 31))
    plan = {p.slot: p for p in plan_course(course, [DoseFacts(1, D(2026, 1, 10))], SETTINGS)}
    assert plan["end"].available_from == D(2026, 1, 31) and plan["end"].due_by == D(2026, 2, 14)
    assert plan["follow_up:1"].available_from == D(2026, 2, 28)  # clamped to February's end
    assert plan["follow_up:3"].available_from == D(2026, 4, 30)
    assert plan["follow_up:6"].available_from == D(2026, 7, 31)
    assert plan["follow_up:6"].follow_up_months == 6


def test_discontinued_course_gets_end_measure_but_no_follow_ups():
    course = CourseFacts("depression", "discontinued", D(2026, 1, 5), D(2026, 1, 20))
    assert {p.slot for p in plan_course(course, [], SETTINGS)} == {"baseline", "end"}


def test_clinic_settings_turn_parts_off():
    settings = ScheduleSettings(
        instruments_by_condition={"ptsd": ["pcl5", "phq9"]},
        before_each_dose=False,
        end_of_course=False,
        follow_up_months=[12],
    )
    course = CourseFacts("ptsd", "completed", D(2026, 1, 5), D(2026, 2, 1))
    plan = plan_course(
        course, [DoseFacts(1, D(2026, 1, 9)), DoseFacts(2, D(2026, 1, 12))], settings
    )
    assert {(p.instrument_code, p.slot) for p in plan} == {
        (code, slot) for code in ("pcl5", "phq9") for slot in ("baseline", "follow_up:12")
    }


def test_default_instruments_per_condition():
    assert DEFAULT_INSTRUMENTS["ptsd"][0] == "pcl5" and DEFAULT_INSTRUMENTS["ocd"][0] == "ocir"
    assert all("phq9" in codes for codes in DEFAULT_INSTRUMENTS.values())


def test_follow_up_months_validation():
    assert follow_up_months_errors([1, 3, 6]) is None
    assert follow_up_months_errors([]) is None
    assert follow_up_months_errors([0]) and follow_up_months_errors([1, 1])
    assert follow_up_months_errors(["1"])


@given(
    st.dates(D(2020, 1, 1), D(2030, 1, 1)),
    st.lists(st.tuples(st.integers(0, 120), st.booleans()), max_size=8),
    st.sampled_from(["active", "completed", "discontinued", "paused"]),
)
def test_plan_is_well_formed(opened, offsets, status):
    doses = [DoseFacts(i + 1, opened + dt.timedelta(days=d), a) for i, (d, a) in enumerate(offsets)]
    closed = opened + dt.timedelta(days=130) if status in ("completed", "discontinued") else None
    plan = plan_course(CourseFacts("depression", status, opened, closed), doses, SETTINGS)
    assert len({p.slot for p in plan}) == len(plan)
    assert all(p.available_from <= p.due_by for p in plan)
    assert sum(p.timepoint == "baseline" for p in plan) == 1


@given(st.dates(D(2000, 1, 1), D(2090, 1, 1)), st.integers(0, 48))
def test_add_months_lands_in_the_right_month(day, months):
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day
