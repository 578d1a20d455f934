import datetime as dt

import pytest
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.courses.services import open_course
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import InstrumentDefinition
from kapcare.measures.services.instruments import ensure_shipped_instruments

PHQ9_NINE_ZERO = {str(i): 0 for i in range(1, 10)}


@pytest.fixture
def instruments(clinic):
    ensure_shipped_instruments(clinic=clinic)
    return {d.code: d for d in InstrumentDefinition.objects.filter(clinic=clinic, is_active=True)}


@pytest.fixture
def therapist_actor(clinic, staff):
    return Actor.for_user(staff["therapist"], clinic)


@pytest.fixture
def course(clinic, staff, client_record):
    return open_course(
        actor=Actor.for_user(staff["therapist"], clinic),
        client=client_record,
        condition="depression",
    )


def add_session(course, number: int, days_from_now: int, **fields) -> DosingSession:
    return DosingSession.objects.create(
        clinic=course.clinic,
        client=course.client,
        course=course,
        number=number,
        scheduled_for=timezone.now() + dt.timedelta(days=days_from_now),
        **fields,
    )


def phq9(total_from_items=0, item9=0) -> dict:
    answers = dict(PHQ9_NINE_ZERO)
    left = total_from_items
    for i in range(1, 9):
        answers[str(i)] = min(3, left)
        left -= answers[str(i)]
    answers["9"] = item9
    return answers
