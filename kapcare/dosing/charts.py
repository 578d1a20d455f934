"""The vital-signs chart: one function draws it as SVG for the live page and the PDF alike.

Drawn with matplotlib's object API (no pyplot, no global figure state), so requests on several
threads can draw at once. Text stays text in the SVG (svg.fonttype "none"): smaller, crisp at
any size, and searchable in the PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import matplotlib
from django.utils.translation import gettext as _
from matplotlib.figure import Figure

SYSTOLIC, DIASTOLIC, HEART, SPO2 = "#b7323f", "#3f7d74", "#55606c", "#2f5f8a"


def vitals_chart_svg(
    readings, *, dose_started_at: dt.datetime | None, baseline: dict | None = None
) -> str:
    """Blood pressure, heart rate and SpO2 against minutes since the dose started (minutes
    before it are negative). `readings` are VitalSign-like objects. Returns SVG text."""
    start = dose_started_at or (readings[0].recorded_at if readings else None)

    def minutes(reading) -> float:
        return (reading.recorded_at - start).total_seconds() / 60 if start else 0.0

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kapcare", "font.size": 9}):
        figure = Figure(figsize=(7.2, 3.2), dpi=100)
        axes = figure.subplots()
        bp = [r for r in readings if r.systolic is not None]
        if bp:
            xs = [minutes(r) for r in bp]
            axes.plot(xs, [r.systolic for r in bp], "o-", color=SYSTOLIC, label=_("Systolic"))
            axes.plot(xs, [r.diastolic for r in bp], "s-", color=DIASTOLIC, label=_("Diastolic"))
        hr = [r for r in readings if r.heart_rate is not None]
        if hr:
            axes.plot(
                [minutes(r) for r in hr],
                [r.heart_rate for r in hr],
                "^--",
                color=HEART,
                label=_("Heart rate"),
            )
        spo2 = [r for r in readings if r.spo2 is not None]
        if spo2:
            axes.plot(
                [minutes(r) for r in spo2],
                [r.spo2 for r in spo2],
                "d:",
                color=SPO2,
                label=_("SpO2 %"),
            )
        if baseline:
            axes.axhline(baseline["systolic"], color=SYSTOLIC, linewidth=0.6, alpha=0.5)
            axes.axhline(baseline["diastolic"], color=DIASTOLIC, linewidth=0.6, alpha=0.5)
        if start is not None:
            axes.axvline(0, color="#1f2d3d", linewidth=0.8, linestyle="--")
        axes.set_title(_("Vital signs"))
        axes.set_xlabel(_("minutes since dose start"))
        axes.set_ylabel(_("mmHg · beats/min · %"))
        axes.grid(True, linewidth=0.3, alpha=0.6)
        if readings:
            axes.legend(loc="upper right", fontsize=7, ncols=4, frameon=False)
        else:
            axes.text(0.5, 0.5, _("No readings yet"), ha="center", transform=axes.transAxes)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def as_data_uri(svg: str) -> str:
    """For <img src>: the page's CSP allows data: images, and an image cannot run anything."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
