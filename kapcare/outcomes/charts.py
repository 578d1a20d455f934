"""Server-rendered SVG charts: one client's trajectory, and the dashboard's rates by group.

Pure rendering: callers pass plain data (kapcare.outcomes.selectors builds it), so the same
function serves the client page, the dashboard and a PDF report. matplotlib is used through its
object-oriented API (Figure + the Agg canvas), never pyplot, because pyplot keeps global state
that is not safe across the threads of a web server.

The SVG is served as an image (<img src>), not inlined: matplotlib writes style attributes and a
<style> element, which the page's CSP forbids, while an image document cannot run anything.
Every chart has a data table beside it on the page for screen readers.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede any pyplot import anywhere

from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kapcare.outcomes.stats import Interval

# The clinic palette (kapcare.css): muted teal for data, warm tints for bands, light enough
# that the line stays readable over every band.
BAND_COLOURS = ["#d1e7dd", "#e2f0d9", "#fff3cd", "#ffe5d0", "#f8d7da", "#f1c0c5"]
LINE_COLOUR = "#2f5f58"
DOSING_COLOUR = "#8a6d3b"
SERIES_COLOURS = ["#3f7d74", "#c98b3c", "#6c757d"]

# Text stays text (searchable, selectable, small); the hash salt and missing date make the
# output byte-for-byte repeatable, which keeps tests and caches honest.
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "kapcare", "font.size": 9}


@dataclass(frozen=True)
class Band:
    """A severity band from the instrument definition: scores low…high inclusive."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Trajectory:
    title: str
    y_label: str
    y_min: float
    y_max: float
    points: Sequence[tuple[dt.datetime, float | Decimal]]  # (completed at, total), oldest first
    dosing: Sequence[dt.datetime] = ()
    bands: Sequence[Band] = ()
    dosing_label: str = "Dosing session"
    empty_label: str = "No scores yet"
    tz: dt.tzinfo | None = None  # the clinic's time zone: dates are the clinic's days


@dataclass(frozen=True)
class RateChart:
    title: str
    groups: Sequence[str]
    # (series label, one interval per group or None when the group has no denominator)
    series: Sequence[tuple[str, Sequence[Interval | None]]] = field(default_factory=tuple)
    x_label: str = "%"
    empty_label: str = "No data"


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _local(moment: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    return (moment.astimezone(tz) if tz else moment).replace(tzinfo=None)


def trajectory_svg(chart: Trajectory) -> bytes:
    """Scores over time, dosing sessions as vertical lines, severity bands shaded behind."""
    with rc_context(SVG_RC):
        figure = Figure(figsize=TRAJECTORY_SIZE, layout="constrained")
        axes = figure.add_subplot()
        axes.set_title(chart.title, loc="left", fontsize=10)
        axes.set_ylabel(chart.y_label)
        axes.set_ylim(chart.y_min, chart.y_max)
        for index, band in enumerate(chart.bands):
            # Bands are inclusive integer ranges: 5–9 covers up to, not including, 10.
            top = min(band.high + 1, chart.y_max) if band.high < chart.y_max else chart.y_max
            axes.axhspan(
                band.low, top, color=BAND_COLOURS[index % len(BAND_COLOURS)], zorder=0, lw=0
            )
            axes.text(
                1.01,
                (band.low + top) / 2,
                band.label,
                transform=axes.get_yaxis_transform(),
                va="center",
                ha="left",
                fontsize=7,
                color="#495057",
            )
        times = [_local(moment, chart.tz) for moment, _ in chart.points]
        scores = [float(score) for _, score in chart.points]
        doses = [_local(moment, chart.tz) for moment in chart.dosing]
        for number, moment in enumerate(doses):
            axes.axvline(
                moment,
                gid=f"kc-dose-{number + 1}",
                color=DOSING_COLOUR,
                lw=1,
                ls="--",
                zorder=1,
                label=chart.dosing_label if number == 0 else None,
            )
        if times:
            # The gid names the group in the SVG, so tests (and curious readers) find the points.
            axes.plot(
                times,
                scores,
                color=LINE_COLOUR,
                marker="o",
                ms=4,
                lw=1.6,
                zorder=3,
                gid="kc-scores",
            )
        else:
            axes.text(0.5, 0.5, chart.empty_label, transform=axes.transAxes, ha="center")
        span = times + doses
        if span:
            # One point (or all on one day) still gets a readable week-wide axis.
            pad = max((max(span) - min(span)) * 0.04, dt.timedelta(days=3))
            axes.set_xlim(min(span) - pad, max(span) + pad)
            locator = mdates.AutoDateLocator(maxticks=8)
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        else:
            axes.set_xticks([])
        if doses:
            axes.legend(loc="upper right", fontsize=7, frameon=False)
        axes.grid(axis="y", color="#ffffff", lw=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return _svg(figure)


def rates_size(groups: int, series: int) -> tuple[float, float]:
    """The rate chart's size in inches: taller with every group, so bars keep their width."""
    return 7.2, 1.2 + 0.45 * max(groups, 1) * max(series, 1)


def svg_pixels(size: tuple[float, float]) -> tuple[int, int]:
    """The CSS pixel size of an SVG written at `size` inches (matplotlib writes 72 pt/inch;
    a CSS pixel is 0.75 pt), for the <img> width and height attributes."""
    return round(size[0] * 96), round(size[1] * 96)


TRAJECTORY_SIZE = (7.2, 3.2)


def rates_svg(chart: RateChart) -> bytes:
    """Horizontal grouped bars (one group per row, long names fit) with 95% CI whiskers."""
    with rc_context(SVG_RC):
        figure = Figure(figsize=rates_size(len(chart.groups), len(chart.series)))
        figure.set_layout_engine("constrained")
        axes = figure.add_subplot()
        axes.set_title(chart.title, loc="left", fontsize=10)
        axes.set_xlim(0, 100)
        axes.set_xlabel(chart.x_label)
        if not chart.groups or not chart.series:
            axes.text(0.5, 0.5, chart.empty_label, transform=axes.transAxes, ha="center")
            axes.set_yticks([])
            return _svg(figure)
        height = 0.8 / len(chart.series)
        for number, (label, intervals) in enumerate(chart.series):
            offsets = [row + number * height for row in range(len(chart.groups))]
            values = [i.estimate * 100 if i else 0 for i in intervals]
            errors = [
                [(i.estimate - i.low) * 100 if i else 0 for i in intervals],
                [(i.high - i.estimate) * 100 if i else 0 for i in intervals],
            ]
            axes.barh(
                offsets,
                values,
                height=height * 0.9,
                xerr=errors,
                label=label,
                color=SERIES_COLOURS[number % len(SERIES_COLOURS)],
                error_kw={"ecolor": "#212529", "lw": 0.8, "capsize": 2},
            )
        centre = (len(chart.series) - 1) * height / 2
        axes.set_yticks([row + centre for row in range(len(chart.groups))], list(chart.groups))
        axes.invert_yaxis()
        axes.legend(loc="lower right", fontsize=7, frameon=False)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return _svg(figure)
