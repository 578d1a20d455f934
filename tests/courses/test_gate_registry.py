"""The gate registry: each app registers its gates in AppConfig.ready; a gate judges an explicit
GateContext(course, at, attempt), never state carried beside the call."""

import pytest
from django.utils import timezone

from kapcare.courses import gates
from kapcare.courses.gates import GateContext, dosing_gates, pathway_gate_keys
from tests.pathway import screened_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(clinic, staff, client_record):
    course, _screening = screened_course(clinic=clinic, staff=staff, client=client_record)
    return course


def test_every_app_registers_its_gates_in_the_order_they_are_shown(course):
    # given a course, when its gates are listed
    keys = [g.key for g in dosing_gates(course)]
    # then screening, consent and courses come first (the pathway), then dosing's per-dose gates
    assert keys == [
        "eligibility",
        "consent",
        "preparation",
        "course_active",
        "pre_dose",
        "dose_order",
        "stock",
    ]
    assert pathway_gate_keys() == {"eligibility", "consent", "preparation", "course_active"}


def test_a_phase_precondition_judges_the_named_gates_in_the_context_given(course):
    # given a context at a moment, when two named gates are judged
    judged = gates.judge(["consent", "eligibility"], GateContext(course=course, at=timezone.now()))
    # then exactly those, in registry order
    assert [g.key for g in judged] == ["eligibility", "consent"]


def test_an_unregistered_gate_name_is_a_programming_error(course):
    with pytest.raises(LookupError):
        gates.judge(["no_such_gate"], GateContext(course=course, at=timezone.now()))


def test_no_gate_reads_an_attempt_from_a_context_variable():
    # the attempt at the chair travels in GateContext; nothing hides it in a ContextVar
    from pathlib import Path

    import kapcare.dosing.gates as dosing_gates_module

    source = Path(dosing_gates_module.__file__).read_text(encoding="utf-8")
    assert "ContextVar" not in source
