"""Building courses with scores and doses quickly: rows go in with bulk_create, as the
dashboard's scale test needs tens of thousands of them."""

import datetime as dt

import pytest

from kapcare.clients.models import Client
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import InstrumentDefinition, Response
from kapcare.measures.services.instruments import ensure_shipped_instruments
from tests.factories import ClientFactory, put_on_team

T0 = dt.datetime(2026, 1, 5, 17, 0, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


class Builder:
    """Courses, doses and scores for one clinic. Scores are collected and written in one go."""

    def __init__(self, clinic):
        ensure_shipped_instruments(clinic=clinic)
        self.clinic = clinic
        self.definitions = {
            d.code: d for d in InstrumentDefinition.objects.filter(clinic=clinic, is_active=True)
        }
        self.pending: list[Response] = []

    def client(self, **fields):
        return ClientFactory(clinic=self.clinic, **fields)

    def course(self, *, client=None, condition="depression", therapist=None, **fields):
        client = client or self.client()
        if therapist is not None:
            put_on_team(client, therapist, "therapist")
        fields = {"status": "active", **fields}
        return TreatmentCourse.objects.create(
            clinic=self.clinic, client=client, condition=condition, **fields
        )

    def many_courses(self, count: int, conditions, dose_at: dt.datetime):
        """`count` clients, each with one course (conditions in turn) dosed at `dose_at`, in
        three bulk inserts."""
        clients = Client.objects.bulk_create(
            Client(clinic=self.clinic, first_name="Test", last_name=f"Client {n}",
                   date_of_birth=dt.date(1980, 1, 1), status="active")
            for n in range(count)
        )  # fmt: skip
        courses = TreatmentCourse.objects.bulk_create(
            TreatmentCourse(clinic=self.clinic, client=client, status="active",
                            condition=conditions[n % len(conditions)])
            for n, client in enumerate(clients)
        )  # fmt: skip
        DosingSession.objects.bulk_create(
            DosingSession(clinic=self.clinic, client=course.client, course=course, number=1,
                          scheduled_for=dose_at, status="discharged", dose_started_at=dose_at,
                          discharged_at=dose_at + dt.timedelta(hours=2))
            for course in courses
        )  # fmt: skip
        return courses

    def dose(self, course, at: dt.datetime, number: int = 1, **fields) -> DosingSession:
        return DosingSession.objects.create(
            clinic=self.clinic,
            client=course.client,
            course=course,
            number=number,
            scheduled_for=at,
            status="discharged",
            dose_started_at=at,
            discharged_at=at + dt.timedelta(hours=2),
            **fields,
        )

    def score(self, course, code: str, total, at: dt.datetime, *, status="complete", client=None):
        response = Response(
            clinic=self.clinic,
            client=client or course.client,
            course=course,
            instrument=self.definitions[code],
            instrument_code=code,
            timepoint="ad_hoc",
            answers={},
            status=status,
            total=total if status == "complete" else None,
            completed_at=at,
            source="link",
        )
        self.pending.append(response)
        return response

    def pair(self, course, code: str, baseline, last):
        """A baseline on day 0 and, when given, a last score on day 30 (dose on day 1)."""
        if baseline is not None:
            self.score(course, code, baseline, day(0))
        if last is not None:
            self.score(course, code, last, day(30))

    def save(self) -> None:
        Response.objects.bulk_create(self.pending, batch_size=2000)
        self.pending = []


@pytest.fixture
def build(clinic):
    return Builder(clinic)
