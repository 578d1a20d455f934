"""Recording activity for the idle timeout writes the session row at most once a minute."""

import time

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.middleware import LAST_SEEN_KEY
from kapcare.accounts.models import Role


def _session_writes(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for query in queries.captured_queries
        if "django_session" in query["sql"]
        and query["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def _set_last_seen(http, seconds_ago: float) -> float:
    session = http.session
    session[LAST_SEEN_KEY] = time.time() - seconds_ago
    session.save()
    return session[LAST_SEEN_KEY]


def test_two_requests_within_a_minute_write_the_session_once(staff, login):
    # Given a therapist whose last recorded activity is older than the resolution
    http = login(staff[Role.THERAPIST])
    _set_last_seen(http, settings.KAPCARE_IDLE_ACTIVITY_RESOLUTION_SECONDS + 5)

    # When they open two pages a moment apart
    with CaptureQueriesContext(connection) as first:
        assert http.get(reverse("clients:list")).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert http.get(reverse("clients:list")).status_code == 200

    # Then the first request records the activity (one session write) and the second none
    assert _session_writes(first) == 1
    assert _session_writes(second) == 0


def test_activity_within_the_resolution_keeps_the_recorded_time(staff, login):
    # Given a therapist whose activity was recorded ten seconds ago
    http = login(staff[Role.THERAPIST])
    recorded = _set_last_seen(http, 10)

    # When they open a page
    http.get(reverse("clients:list"))

    # Then the recorded time is unchanged: it lags by at most the resolution
    assert http.session[LAST_SEEN_KEY] == recorded


def test_activity_older_than_the_resolution_is_recorded_again(staff, login):
    # Given a therapist whose activity was recorded just over a minute ago
    http = login(staff[Role.THERAPIST])
    recorded = _set_last_seen(http, settings.KAPCARE_IDLE_ACTIVITY_RESOLUTION_SECONDS + 1)

    # When they open a page
    http.get(reverse("clients:list"))

    # Then the activity is recorded as now
    assert (
        http.session[LAST_SEEN_KEY] > recorded + settings.KAPCARE_IDLE_ACTIVITY_RESOLUTION_SECONDS
    )


def test_the_idle_timeout_still_signs_out_on_time_with_a_stale_record(staff, login):
    # Given a therapist whose recorded activity is just past the idle timeout
    http = login(staff[Role.THERAPIST])
    _set_last_seen(http, settings.KAPCARE_IDLE_TIMEOUT_SECONDS + 1)

    # When they make a request
    response = http.get(reverse("clients:list"))

    # Then they are signed out, as before
    assert response.status_code == 302
    assert "_auth_user_id" not in http.session
