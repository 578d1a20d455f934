"""The vital-signs chart: one function draws it as SVG for the live page and the PDF alike.

Drawn with matplotlib's object API (no pyplot, no global figure state), so requests on several
threads can draw at once. Text stays text in the SVG (svg.fonttype "none"): smaller, crisp at
any size, and searchable in the PDF.

The x axis is the clinic's clock (DESIGN.md: times shown in the clinic's time zone), ticked on
round minutes; a top axis counts minutes since the dose started, the clock the monitoring
schedule runs on (FACTS.md §4.4: BP peaks near 40 minutes).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from zoneinfo import ZoneInfo

import matplotlib
import matplotlib.dates as mdates
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

SYSTOLIC, DIASTOLIC, HEART, SPO2 = "#b7323f", "#3f7d74", "#55606c", "#2f5f8a"

# Tick spacings (minutes) the clock axis may use: each divides an hour or a day evenly.
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240)
MAX_TICKS = 10
# Never show less than this much time: readings in the same minute still get a clock around them.
MIN_SPAN = dt.timedelta(minutes=10)
# 7.68 in at 72 pt/in is 768 CSS px: the width the chart is shown at in the live page's 48rem
# column on an 820 px tablet, and it fits the PDF's text width scaled; text is not shrunk.
FIGSIZE = (7.68, 3.4)
# Bump when the drawing changes, so a shared cache never serves a chart drawn the old way.
CHART_VERSION = 1
# How long a drawn chart is kept. Readings change every few minutes while a session is under
# way, so most drawings are replaced long before; one past its hour is simply drawn again.
CACHE_SECONDS = 3600


def x_range(moments: list[dt.datetime]) -> tuple[dt.datetime, dt.datetime]:
    """The time the axis shows: every moment, a little margin, at least MIN_SPAN."""
    lo, hi = min(moments), max(moments)
    span = hi - lo
    if span < MIN_SPAN:
        middle = lo + span / 2
        return middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    margin = max(span * 0.04, dt.timedelta(minutes=1))
    return lo - margin, hi + margin


def clock_ticks(lo: dt.datetime, hi: dt.datetime, zone: ZoneInfo) -> list[dt.datetime]:
    """Ticks on round minutes of the clinic's clock between lo and hi (at most MAX_TICKS),
    evenly spaced by the smallest step in TICK_STEPS that keeps them few."""
    lo, hi = x_range([lo, hi]) if hi - lo < MIN_SPAN else (lo, hi)
    minutes = (hi - lo).total_seconds() / 60
    step = next((s for s in TICK_STEPS if minutes / s <= MAX_TICKS - 1), TICK_STEPS[-1])
    local = lo.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    into_day = (local - midnight).total_seconds() / 60
    # Stepping in UTC keeps the gaps even across a daylight-saving change.
    first = midnight + dt.timedelta(minutes=-(-into_day // step) * step)
    ticks, tick = [], first.astimezone(dt.UTC)
    while tick <= hi:
        ticks.append(tick)
        tick += dt.timedelta(minutes=step)
    return ticks


def minute_ticks(lo: dt.timedelta, hi: dt.timedelta, clock: list[dt.datetime]) -> list[int]:
    """Whole minutes since the dose for the top axis, spaced as the clock ticks are."""
    step = int((clock[1] - clock[0]).total_seconds() // 60) if len(clock) > 1 else 1
    first = -(-int(lo.total_seconds() // 60) // step) * step
    return list(range(first, int(hi.total_seconds() // 60) + 1, step))


def vitals_chart_svg(
    readings,
    *,
    dose_started_at: dt.datetime | None,
    baseline: dict | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    """Blood pressure, heart rate and SpO2 against the clinic's clock (`zone`; the active time
    zone when not given), with the dose start marked and counted from on the top axis.
    `readings` are VitalSign-like objects. Returns SVG text."""
    zone = zone or timezone.get_current_timezone()

    def x(moment: dt.datetime) -> float:
        return mdates.date2num(moment)

    rc = {"svg.fonttype": "none", "svg.hashsalt": "kapcare", "font.size": 10}
    with matplotlib.rc_context(rc):
        figure = Figure(figsize=FIGSIZE, dpi=100, layout="constrained")
        axes = figure.subplots()
        series = [
            ("systolic", "o-", SYSTOLIC, _("Systolic")),
            ("diastolic", "s-", DIASTOLIC, _("Diastolic")),
            ("heart_rate", "^--", HEART, _("Heart rate")),
            ("spo2", "d:", SPO2, _("SpO2 %")),
        ]
        for field, style, colour, label in series:
            points = [r for r in readings if getattr(r, field) is not None]
            if points:
                axes.plot(
                    [x(r.recorded_at) for r in points],
                    [getattr(r, field) for r in points],
                    style,
                    color=colour,
                    label=label,
                    markersize=5,
                )
        if baseline:
            axes.axhline(baseline["systolic"], color=SYSTOLIC, linewidth=0.6, alpha=0.5)
            axes.axhline(baseline["diastolic"], color=DIASTOLIC, linewidth=0.6, alpha=0.5)
        moments = [r.recorded_at for r in readings] + ([dose_started_at] if dose_started_at else [])
        if moments:
            lo, hi = x_range(moments)
            axes.set_xlim(x(lo), x(hi))
            ticks = clock_ticks(lo, hi, zone)
            axes.xaxis.set_major_locator(FixedLocator([x(t) for t in ticks]))
            axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
        if dose_started_at is not None and moments:
            start = x(dose_started_at)
            axes.axvline(start, color="#1f2d3d", linewidth=0.8, linestyle="--")
            top = axes.secondary_xaxis(
                "top", functions=(lambda v: (v - start) * 1440, lambda m: start + m / 1440)
            )
            top.xaxis.set_major_locator(
                FixedLocator(minute_ticks(lo - dose_started_at, hi - dose_started_at, ticks))
            )
            top.xaxis.set_major_formatter(
                FuncFormatter(lambda m, _pos: f"{m:+.0f}" if round(m) else "0")
            )
            top.set_xlabel(_("minutes since dose start"), fontsize=9)
            top.tick_params(labelsize=8)
        axes.set_title(_("Vital signs"), loc="left", fontsize=11)
        axes.set_xlabel(_("time (%(zone)s)") % {"zone": getattr(zone, "key", str(zone))})
        axes.set_ylabel(_("mmHg · beats/min · %"))
        axes.grid(True, linewidth=0.3, alpha=0.6)
        if readings:
            figure.legend(loc="outside lower center", ncols=4, frameon=False, fontsize=9)
        else:
            axes.text(0.5, 0.5, _("No readings yet"), ha="center", transform=axes.transAxes)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def as_data_uri(svg: str) -> str:
    """For <img src>: the page's CSP allows data: images, and an image cannot run anything."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def vitals_chart_uri(
    readings,
    *,
    dose_started_at: dt.datetime | None,
    baseline: dict | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    """`vitals_chart_svg` as a data URI, drawn once per distinct set of inputs.

    The live page's panel is re-fetched every few seconds by every open page and drawing takes
    most of a request's time, while the chart changes only when a reading does. The cache key is
    everything the drawing reads (each plotted value and time, the dose start, the baseline
    lines, the zone and the language of the labels), so an edited or added reading draws anew
    and nothing has to be invalidated."""
    zone = zone or timezone.get_current_timezone()
    key = _chart_key(readings, dose_started_at, baseline, zone)
    uri = cache.get(key)
    if uri is None:
        svg = vitals_chart_svg(
            readings, dose_started_at=dose_started_at, baseline=baseline, zone=zone
        )
        uri = as_data_uri(svg)
        cache.set(key, uri, CACHE_SECONDS)
    return uri


def _chart_key(readings, dose_started_at, baseline, zone) -> str:
    inputs = [
        CHART_VERSION,
        get_language(),
        getattr(zone, "key", str(zone)),
        dose_started_at.isoformat() if dose_started_at else None,
        (baseline["systolic"], baseline["diastolic"]) if baseline else None,
        [
            (r.recorded_at.isoformat(), r.systolic, r.diastolic, r.heart_rate, r.spo2)
            for r in readings
        ],
    ]
    return "kc-vitals-chart:" + hashlib.sha256(repr(inputs).encode()).hexdigest()
