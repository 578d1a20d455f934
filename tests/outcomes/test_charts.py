"""Server-rendered SVG charts: what they draw, and that they draw the same thing twice."""

import datetime as dt
import re

from kapcare.outcomes.charts import Band, RateChart, Trajectory, rates_svg, trajectory_svg
from kapcare.outcomes.stats import wilson_interval

UTC = dt.UTC
BANDS = [Band(0, 4, "Minimal"), Band(5, 9, "Mild"), Band(10, 14, "Moderate"), Band(15, 27, "High")]


def chart_points(svg: str) -> int:
    """How many score markers the trajectory line has."""
    start = svg.index('id="kc-scores"')
    end = svg.find('<g id="', start + 1)
    return svg[start:end].count("<use ")


def trajectory(points, doses=(), **kwargs) -> str:
    spec = Trajectory(
        title="PHQ-9",
        y_label="Total score",
        y_min=0,
        y_max=27,
        points=points,
        dosing=doses,
        bands=BANDS,
        **kwargs,
    )
    return trajectory_svg(spec).decode()


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, 18, tzinfo=UTC)


def test_trajectory_draws_each_score_each_dose_and_each_band():
    svg = trajectory([(at(1), 18), (at(8), 14), (at(15), 9)], doses=[at(3), at(10)])

    assert svg.startswith("<?xml") and "<svg" in svg
    assert chart_points(svg) == 3
    assert re.findall(r'id="kc-dose-(\d+)"', svg) == ["1", "2"]
    for label in ("Minimal", "Mild", "Moderate", "High", "Dosing session", "PHQ-9"):
        assert f">{label}</text>" in svg  # text stays text (svg.fonttype none)


def test_a_new_score_is_a_new_point():
    before = trajectory([(at(1), 18), (at(8), 14)])
    after = trajectory([(at(1), 18), (at(8), 14), (at(9), 11)])
    assert (chart_points(before), chart_points(after)) == (2, 3)


def test_rendering_is_repeatable_byte_for_byte():
    points = [(at(1), 18), (at(8), 14)]
    assert trajectory(points, doses=[at(2)]) == trajectory(points, doses=[at(2)])


def test_no_scores_says_so():
    svg = trajectory([], empty_label="No scores yet")
    assert "No scores yet" in svg
    assert 'id="kc-scores"' not in svg


def test_dates_are_drawn_in_the_clinic_time_zone():
    la = dt.timezone(dt.timedelta(hours=-8))
    # 03:00 UTC on March 2 is still March 1 in Los Angeles; one point keeps a week-wide axis.
    assert trajectory([(dt.datetime(2026, 3, 2, 3, tzinfo=UTC), 5)], tz=la) != trajectory(
        [(dt.datetime(2026, 3, 2, 3, tzinfo=UTC), 5)]
    )


def test_rate_chart_has_a_bar_per_group_and_series_and_survives_empty_groups():
    svg = rates_svg(
        RateChart(
            title="PHQ-9",
            groups=["Depression", "PTSD"],
            series=[
                ("Response", [wilson_interval(5, 10), None]),
                ("Remission", [wilson_interval(2, 10), wilson_interval(0, 3)]),
            ],
        )
    ).decode()
    for text in ("Depression", "PTSD", "Response", "Remission"):
        assert text in svg


def test_rate_chart_without_groups_says_so():
    svg = rates_svg(RateChart(title="PHQ-9", groups=[], series=[], empty_label="No data")).decode()
    assert "No data" in svg
