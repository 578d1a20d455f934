"""The one rate-limit mechanism: a sliding window of counted attempts per (scope, identity)."""

import datetime as dt

import pytest
from django.utils import timezone

from kapcare.core.models import RateLimitHit
from kapcare.core.ratelimit import Limit, RateLimited, check, hit, record

pytestmark = pytest.mark.django_db

FIVE_A_MINUTE = Limit(scope="test.thing", count=5, window=dt.timedelta(minutes=1))


def test_attempts_up_to_the_limit_pass_and_the_next_is_refused():
    # Given five attempts within the window
    for _ in range(5):
        hit(FIVE_A_MINUTE, "198.51.100.1")

    # When a sixth arrives
    with pytest.raises(RateLimited) as refused:
        hit(FIVE_A_MINUTE, "198.51.100.1")

    # Then it is refused, not counted, and says when the first attempt leaves the window
    assert 0 < refused.value.retry_after <= 60
    assert RateLimitHit.objects.count() == 5


def test_identities_and_scopes_are_counted_apart():
    for _ in range(5):
        hit(FIVE_A_MINUTE, "198.51.100.1")

    hit(FIVE_A_MINUTE, "198.51.100.2")
    hit(Limit(scope="test.other", count=5, window=dt.timedelta(minutes=1)), "198.51.100.1")


def test_attempts_older_than_the_window_no_longer_count():
    # Given a full window whose attempts are now more than a minute old
    for _ in range(5):
        hit(FIVE_A_MINUTE, "198.51.100.1")
    RateLimitHit.objects.update(at=timezone.now() - dt.timedelta(seconds=61))

    # Then a new attempt passes, and the expired ones are cleared away
    hit(FIVE_A_MINUTE, "198.51.100.1")
    assert RateLimitHit.objects.count() == 1


def test_the_wait_is_until_enough_attempts_have_left_the_window():
    now = timezone.now()
    for _ in range(5):
        hit(FIVE_A_MINUTE, "x")
    # The oldest attempt was 50 seconds ago: one slot opens in about 10 seconds.
    first = RateLimitHit.objects.order_by("pk").first()
    RateLimitHit.objects.filter(pk=first.pk).update(at=now - dt.timedelta(seconds=50))

    with pytest.raises(RateLimited) as refused:
        check(FIVE_A_MINUTE, "x")
    assert 9 <= refused.value.retry_after <= 11


def test_check_does_not_count_and_record_does_not_refuse():
    for _ in range(7):
        record(FIVE_A_MINUTE, "x")
    assert RateLimitHit.objects.count() == 7
    with pytest.raises(RateLimited):
        check(FIVE_A_MINUTE, "x")
    check(FIVE_A_MINUTE, "y")
    assert RateLimitHit.objects.count() == 7


def test_the_identity_is_not_stored_in_the_clear():
    hit(FIVE_A_MINUTE, "someone@clinic.test")

    assert "someone" not in RateLimitHit.objects.get().key


def test_identities_differing_only_in_case_and_spaces_are_one():
    for _ in range(5):
        hit(FIVE_A_MINUTE, "Someone@Clinic.test")
    with pytest.raises(RateLimited):
        hit(FIVE_A_MINUTE, " someone@clinic.TEST ")


def test_a_limit_can_be_read_from_settings(settings):
    settings.KAPCARE_RATE_LIMITS = {"test_limit": (2, 30)}

    limit = Limit.from_settings("test_limit")

    assert limit == Limit(scope="test_limit", count=2, window=dt.timedelta(seconds=30))


def test_a_misconfigured_limit_is_reported_by_the_system_checks(settings):
    from kapcare.core.checks import rate_limits

    settings.KAPCARE_RATE_LIMITS = {"ok": (3, 60), "no_window": (3, 0), "negative": (-1, 60)}

    errors = rate_limits(None)

    assert sorted(e.msg.split("'")[1] for e in errors) == ["negative", "no_window"]
    assert {e.id for e in errors} == {"kapcare.E001"}
