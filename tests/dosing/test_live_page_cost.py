"""What the live page costs to serve. Its vitals chart is drawn once per set of readings: the
status panel, re-fetched every few seconds by every open page, reuses the drawing until a reading
changes, and shows exactly the chart a fresh drawing gives. The page reads the care team once
for all the permissions it shows, and its gates share their reads within one evaluation."""

import dataclasses
import datetime as dt
import re
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from kapcare.accounts.models import Role
from kapcare.courses.gates import dosing_gates
from kapcare.dosing import charts, permissions, selectors, services
from kapcare.dosing.charts import as_data_uri, vitals_chart_svg, vitals_chart_uri
from tests.dosing.helpers import GOOD_CHECK, ago, chair, in_monitoring
from tests.factories import make_staff, put_on_team
from tests.pathway import actor

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/Los_Angeles")
DOSE = dt.datetime(2026, 3, 2, 17, 0, 20, tzinfo=dt.UTC)


@dataclasses.dataclass
class Reading:
    recorded_at: dt.datetime
    systolic: int | None = 130
    diastolic: int | None = 82
    heart_rate: int | None = 76
    spo2: int | None = 97


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def drawn():
    """Counts the drawings while still drawing the real chart."""
    with mock.patch.object(charts, "vitals_chart_svg", wraps=charts.vitals_chart_svg) as spy:
        yield spy


@pytest.fixture
def monitoring(clinic, staff, client_record):
    ctx = in_monitoring(clinic, staff, client_record)
    return ctx


def chart_src(html: str) -> str:
    match = re.search(r'class="kc-vitals-chart" src="([^"]+)"', html)
    assert match, "the panel shows the chart"
    return match.group(1)


def poll(http, client_record, session) -> str:
    url = reverse("dosing:panel", args=[client_record.pk, session.pk])
    response = http.get(url, headers={"HX-Request": "true", "X-Kapcare-Background": "poll"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_poll_reuses_the_chart_until_a_reading_is_recorded(
    staff, client_record, monitoring, login, drawn
):
    session = monitoring["session"]
    http = login(staff["nurse"])
    # given the page is open: its first panel draws the chart
    page = http.get(reverse("dosing:live", args=[client_record.pk, session.pk])).content.decode()
    assert drawn.call_count == 1
    # when the panel is polled twice with nothing new
    first, second = poll(http, client_record, session), poll(http, client_record, session)
    # then nothing is redrawn and the same chart is shown
    assert drawn.call_count == 1
    assert chart_src(first) == chart_src(second) == chart_src(page)
    # when another reading is recorded, the next poll draws the new chart once
    services.record_vitals(
        actor=monitoring["nurse"],
        session=session,
        recorded_at=ago(1),
        values={"systolic": 150, "diastolic": 88, "spo2": 96},
    )
    third = poll(http, client_record, session)
    assert drawn.call_count == 2 and chart_src(third) != chart_src(second)
    assert chart_src(poll(http, client_record, session)) == chart_src(third)
    assert drawn.call_count == 2


def test_the_cached_chart_is_the_chart_a_fresh_drawing_gives():
    readings = [Reading(DOSE + dt.timedelta(minutes=m)) for m in (0, 15, 30)]
    fresh = as_data_uri(vitals_chart_svg(readings, dose_started_at=DOSE, zone=ZONE))
    assert vitals_chart_uri(readings, dose_started_at=DOSE, zone=ZONE) == fresh
    # the second call comes from the cache, unchanged
    assert vitals_chart_uri(readings, dose_started_at=DOSE, zone=ZONE) == fresh


def changed(what: str, readings: list[Reading], kwargs: dict) -> tuple[list[Reading], dict]:
    """The chart's inputs with one thing it draws from changed."""
    first, second, *rest = readings
    later = second.recorded_at + dt.timedelta(minutes=2)
    return {
        "value": ([first, dataclasses.replace(second, systolic=171), *rest], kwargs),
        "missing value": ([first, dataclasses.replace(second, spo2=None), *rest], kwargs),
        "time": ([first, dataclasses.replace(second, recorded_at=later), *rest], kwargs),
        "new reading": ([*readings, Reading(DOSE + dt.timedelta(minutes=45))], kwargs),
        "dose start": (readings, {**kwargs, "dose_started_at": DOSE - dt.timedelta(minutes=1)}),
        "baseline": (readings, {**kwargs, "baseline": {"systolic": 120, "diastolic": 80}}),
        "zone": (readings, {**kwargs, "zone": ZoneInfo("Europe/Berlin")}),
    }[what]


@pytest.mark.parametrize(
    "what", ["value", "missing value", "time", "new reading", "dose start", "baseline", "zone"]
)
def test_anything_the_chart_draws_from_draws_it_anew(what, drawn):
    readings = [Reading(DOSE + dt.timedelta(minutes=m)) for m in (0, 15, 30)]
    kwargs = {"dose_started_at": DOSE, "zone": ZONE}
    before = vitals_chart_uri(readings, **kwargs)
    changed_readings, changed_kwargs = changed(what, readings, kwargs)
    after = vitals_chart_uri(changed_readings, **changed_kwargs)
    assert drawn.call_count == 2 and after != before
    assert after == as_data_uri(vitals_chart_svg(changed_readings, **changed_kwargs))


def test_a_chart_drawn_in_one_language_is_not_shown_in_another(drawn):
    readings = [Reading(DOSE)]
    with translation.override("en"):
        vitals_chart_uri(readings, dose_started_at=DOSE, zone=ZONE)
    with translation.override("es"):
        vitals_chart_uri(readings, dose_started_at=DOSE, zone=ZONE)
    assert drawn.call_count == 2


@pytest.mark.parametrize("role", list(Role.values))
@pytest.mark.parametrize("on_team", [True, False])
def test_the_live_pages_permissions_read_together_say_what_each_says_alone(
    clinic, client_record, role, on_team
):
    user = make_staff(clinic, role, full_name=f"another {role}")
    if on_team:
        team_roles = (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)
        put_on_team(client_record, user, role if role in team_roles else Role.NURSE)
    who = actor(user, clinic)
    assert permissions.live_page_permissions(who, client_record) == {
        "chair": permissions.can_work_the_chair(who, client_record),
        "clear": permissions.can_clear_check(who, client_record),
        "rate": permissions.can_rate_dissociation(who, client_record),
    }


def test_one_evaluation_of_the_gates_reads_the_session_and_order_once_and_the_next_afresh(
    clinic, staff, client_record
):
    ctx = chair(clinic, staff, client_record)
    course, at = ctx["course"], timezone.now()
    with (
        mock.patch.object(selectors, "awaiting_session", wraps=selectors.awaiting_session) as s,
        mock.patch.object(selectors, "current_order", wraps=selectors.current_order) as o,
    ):
        first = {g.key: g.passed for g in dosing_gates(course, at)}
        assert first["pre_dose"] and first["dose_order"] and first["stock"]
        assert s.call_count == 1 and o.call_count == 1
        # a blood pressure at the stop line, checked before the same moment: the next
        # evaluation at that moment reads it rather than the first evaluation's checks
        services.record_pre_dose_check(
            actor=ctx["nurse"],
            session=ctx["session"],
            data={**GOOD_CHECK, "systolic": 170, "diastolic": 95},
            recorded_at=ago(1),
        )
        s.reset_mock()
        o.reset_mock()
        second = {g.key: g.passed for g in dosing_gates(course, at)}
        assert not second["pre_dose"] and s.call_count == 1 and o.call_count == 1
