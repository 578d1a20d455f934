"""REST API fixtures: a clinic with the shipped questionnaires, and clients with a clinical
record (course, PHQ-9 response, risk alert, dosing session) made through the real services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.courses.services import open_course
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import InstrumentDefinition
from kapcare.measures.services import record_response
from kapcare.measures.services.instruments import ensure_shipped_instruments
from tests.factories import ClientFactory, put_on_team


def phq9(item9: int = 0, each: int = 1) -> dict:
    return {**{str(i): each for i in range(1, 9)}, "9": item9}


@pytest.fixture
def instruments(clinic):
    ensure_shipped_instruments(clinic=clinic)
    return {d.code: d for d in InstrumentDefinition.objects.filter(clinic=clinic, is_active=True)}


def clinical_client(clinic, therapist, instruments, *, item9: int = 1):
    """A client on `therapist`'s care team with an open course, a PHQ-9 (item 9 answered
    `item9`, so by default with a risk alert) and a scheduled dosing session."""
    client = ClientFactory(clinic=clinic)
    put_on_team(client, therapist, Role.THERAPIST)
    actor = Actor.for_user(therapist, clinic)
    course = open_course(actor=actor, client=client, condition="depression")
    record_response(actor=actor, client=client, definition=instruments["phq9"], answers=phq9(item9))
    DosingSession.objects.create(
        clinic=clinic,
        client=client,
        course=course,
        number=1,
        scheduled_for=timezone.now() + dt.timedelta(days=3),
    )
    return client


@pytest.fixture
def make_clinical_client(clinic, staff, instruments):
    def make(therapist=None, **options):
        return clinical_client(clinic, therapist or staff[Role.THERAPIST], instruments, **options)

    return make
