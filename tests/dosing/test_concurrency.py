"""Acceptance 5: two nurses recording vital signs on the same session at once lose nothing.

On PostgreSQL the nurses really write in parallel: threads with their own connections and
transactions, released together. SQLite lets one writer in at a time, so there the same story
runs through the pages, one nurse after the other, each with the form open before the other
saved."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.dosing import services
from kapcare.dosing.models import DosingSession, MonitoringAlert, VitalSign
from tests.dosing.helpers import ago, chair, field_time, give_dose
from tests.factories import make_staff, put_on_team
from tests.pathway import actor

READINGS_EACH = 5


def _monitored(clinic, staff, client):
    ctx = chair(clinic, staff, client, checked_minutes_ago=110)
    give_dose(clinic, staff, ctx, minutes_ago=100)
    services.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(60))
    second = make_staff(clinic, Role.NURSE, full_name="Second Nurse")
    put_on_team(client, second, Role.NURSE)
    return ctx, second


@pytest.mark.django_db(transaction=True)
def test_two_nurses_recording_at_once_on_postgresql_lose_nothing(clinic, staff, client_record):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the page-level test below runs there")
    ctx, second = _monitored(clinic, staff, client_record)
    session = ctx["session"]
    revision_before = DosingSession.objects.get(pk=session.pk).revision
    nurses = [actor(staff["nurse"], clinic), actor(second, clinic)]
    start = threading.Barrier(len(nurses))
    errors: list[str] = []

    def record(nurse, offset):
        try:
            start.wait(timeout=10)
            for n in range(READINGS_EACH):
                services.record_vitals(
                    actor=nurse,
                    session=session,
                    recorded_at=ago(50 - n * 5 - offset),
                    # every reading from the second nurse is high: each must raise its alert
                    values={"systolic": 185 if offset else 130, "diastolic": 85},
                )
        except Exception as error:  # a deadlock or a lost write fails the test
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(n, i)) for i, n in enumerate(nurses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert VitalSign.objects.filter(session=session).count() == 2 * READINGS_EACH
    by_nurse = {
        user: VitalSign.objects.filter(session=session, recorded_by=user).count()
        for user in (staff["nurse"], second)
    }
    assert by_nurse == {staff["nurse"]: READINGS_EACH, second: READINGS_EACH}
    assert MonitoringAlert.objects.filter(session=session, kind="systolic").count() == READINGS_EACH
    # every write bumped the revision the live page polls on: none was lost
    assert DosingSession.objects.get(pk=session.pk).revision == revision_before + 2 * READINGS_EACH


@pytest.mark.django_db
def test_two_nurses_with_the_page_open_both_keep_their_readings(
    clinic, staff, client_record, login
):
    ctx, second = _monitored(clinic, staff, client_record)
    session = ctx["session"]
    url = reverse("dosing:vitals", args=[client_record.pk, session.pk])
    first_http, second_http = login(staff["nurse"]), login(second)
    page = reverse("dosing:live", args=[client_record.pk, session.pk])
    assert first_http.get(page).status_code == 200
    assert second_http.get(page).status_code == 200

    def post(http, minutes, systolic):
        return http.post(
            url,
            {
                "recorded_at": field_time(clinic, ago(minutes)),
                "systolic": systolic,
                "diastolic": 80,
            },
            headers={"HX-Request": "true"},
        )

    assert post(first_http, 20, 131).status_code == 200
    assert post(second_http, 19, 142).status_code == 200
    saved = sorted(VitalSign.objects.filter(session=session).values_list("systolic", "recorded_by"))
    assert saved == [(131, staff["nurse"].pk), (142, second.pk)]
