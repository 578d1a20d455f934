"""The vital-signs chart (issue 10, item 22): a clock-time axis in the clinic's time zone with
sensible ticks, whatever the spread of the readings. No database: the chart draws any
VitalSign-like objects."""

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from kapcare.dosing.charts import clock_ticks, vitals_chart_svg

ZONE = ZoneInfo("America/Los_Angeles")
DOSE = dt.datetime(2026, 3, 2, 17, 0, 20, tzinfo=dt.UTC)  # 09:00:20 in Los Angeles


@dataclass
class Reading:
    recorded_at: dt.datetime
    systolic: int | None = 130
    diastolic: int | None = 82
    heart_rate: int | None = 76
    spo2: int | None = 97


def tick_labels(svg: str) -> list[str]:
    """The chart's clock labels (text stays text in our SVG)."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return [t for t in texts if re.fullmatch(r"\d\d:\d\d", t)]


def test_readings_in_the_same_minute_get_a_clock_axis_not_fractions_of_a_minute():
    # given three readings within the same minute as the dose start
    readings = [Reading(DOSE + dt.timedelta(seconds=s)) for s in (0, 10, 30)]
    # when the chart is drawn for a clinic in Los Angeles
    svg = vitals_chart_svg(readings, dose_started_at=DOSE, zone=ZONE)
    labels = tick_labels(svg)
    # then the axis is clinic clock time, with several distinct ticks around 09:00
    assert len(set(labels)) >= 3 and "09:00" in labels
    assert "0.04" not in svg and "−0.04" not in svg
    assert "time (America/Los_Angeles)" in svg


@pytest.mark.parametrize(
    ("minutes", "step"),
    [(0, 2), (5, 2), (12, 2), (45, 5), (130, 15), (240, 30), (600, 120)],
)
def test_ticks_fall_on_round_clock_minutes_and_stay_few(minutes, step):
    start = dt.datetime(2026, 3, 2, 9, 3, 20, tzinfo=ZONE)
    ticks = clock_ticks(start, start + dt.timedelta(minutes=minutes), ZONE)
    assert 3 <= len(ticks) <= 10
    assert all(t.tzinfo is not None and t.second == 0 for t in ticks)
    assert all(t.astimezone(ZONE).minute % step == 0 for t in ticks)
    gaps = {b - a for a, b in itertools.pairwise(ticks)}
    assert gaps == {dt.timedelta(minutes=step)}


def test_the_axis_follows_the_clinic_zone_and_marks_minutes_since_the_dose():
    readings = [Reading(DOSE + dt.timedelta(minutes=m)) for m in (-10, 15, 30, 45, 60, 90)]
    svg = vitals_chart_svg(readings, dose_started_at=DOSE, zone=ZoneInfo("Europe/Berlin"))
    labels = tick_labels(svg)
    assert "18:00" in labels and "09:00" not in labels  # 17:00 UTC is 18:00 in Berlin
    # the minutes since the dose started stay readable on the top axis
    assert "minutes since dose start" in svg and "+30" in svg


def test_the_chart_fits_a_tablet_column():
    readings = [Reading(DOSE + dt.timedelta(minutes=m)) for m in range(0, 120, 15)]
    svg = vitals_chart_svg(readings, dose_started_at=DOSE, zone=ZONE)
    width = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))
    # drawn at about the width it is shown at on an 820 px tablet (48rem column), so its text
    # is not scaled down: 1 pt = 4/3 CSS px
    assert 700 <= width * 4 / 3 <= 800
