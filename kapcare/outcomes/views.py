"""The clinic outcomes dashboard: its page, its chart image and its CSV export.

Aggregates only (no client is named), for clinic admins and prescribers; every view of it and
every export is audited like the audit log's own pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from csp.constants import NONE, UNSAFE_INLINE
from csp.decorators import csp
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kapcare.accounts.actor import Actor
from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.conditions import Condition
from kapcare.core.downloads import set_download_name
from kapcare.core.exports import csv_lines
from kapcare.dosing.models import DoseOrder
from kapcare.outcomes import cohorts, selectors
from kapcare.outcomes.charts import RateChart, rates_size, rates_svg, svg_pixels
from kapcare.outcomes.cohorts import GroupRow
from kapcare.outcomes.config import OutcomeConfig
from kapcare.outcomes.forms import GROUP_LABELS, DashboardForm, day_bounds

DASHBOARD_ROLES = (Role.CLINIC_ADMIN, Role.PRESCRIBER)

# An SVG document may style itself (matplotlib writes style attributes) but nothing else: no
# script, no fetch. Shown through <img>, it could not run anything anyway.
SVG_POLICY = {"default-src": [NONE], "style-src": [UNSAFE_INLINE], "frame-ancestors": [NONE]}


svg_policy = csp(SVG_POLICY)


def svg_response(svg: bytes) -> HttpResponse:
    return HttpResponse(svg, content_type="image/svg+xml")


@dataclass
class Dashboard:
    actor: Actor
    form: DashboardForm
    config: OutcomeConfig
    titles: dict[str, str]
    filters: dict
    groups: list[GroupRow]
    total: GroupRow | None

    @property
    def instrument(self):
        return self.config.instruments[self.filters["instrument"]]

    @property
    def valid(self) -> bool:
        return self.total is not None


def _group_label(group_by: str, row: GroupRow) -> str:
    key = row.key
    if group_by == "condition":
        return Condition(key).label if key in Condition.values else str(key)
    if group_by == "therapist":
        return row.label or _("Unknown")
    if group_by == "route":
        choices = dict(DoseOrder._meta.get_field("route").choices)
        return str(choices.get(key, key)) if key else _("Not recorded")
    if group_by == "period":
        day = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key)[:10])
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return str(key)


def _dashboard(request: HttpRequest) -> Dashboard:
    actor = require_actor(request)
    config = selectors.current_config(actor.clinic_id)
    titles = selectors.instrument_titles(actor.clinic_id, list(config.instruments))
    form = DashboardForm(request.GET or None, instruments=titles)
    filters = form.values()
    if form.is_bound and not form.is_valid():
        return Dashboard(actor, form, config, titles, filters, [], None)
    tz = timezone.get_current_timezone()
    start, end = day_bounds(filters["date_from"], filters["date_to"], tz)
    groups, total = cohorts.cohort_table(
        clinic_id=actor.clinic_id,
        config=config,
        code=filters["instrument"],
        group_by=filters["group_by"],
        date_from=start,
        date_to=end,
        tz=tz,
    )
    for row in groups:
        row.label = _group_label(filters["group_by"], row)
    groups.sort(key=lambda row: row.key if filters["group_by"] == "period" else row.label)
    total.label = _("All courses")
    return Dashboard(actor, form, config, titles, filters, groups, total)


def _audit(request: HttpRequest, dashboard: Dashboard, action: AuditAction, what: str) -> None:
    audit_shown(
        request,
        actor=dashboard.actor,
        action=action,
        object_type=what,
        summary=_("Outcomes dashboard: %(m)s by %(g)s")
        % {
            "m": dashboard.titles.get(dashboard.filters["instrument"], ""),
            "g": GROUP_LABELS[dashboard.filters["group_by"]],
        },
        details={k: str(v) if v else "" for k, v in dashboard.filters.items()},
    )


@staff_required(*DASHBOARD_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    board = _dashboard(request)
    if board.valid:
        _audit(request, board, AuditAction.VIEW, "outcomes.dashboard")
    context = {
        "board": board,
        "group_label": GROUP_LABELS[board.filters["group_by"]],
        "query": request.GET.urlencode(),
        "chart_size": svg_pixels(rates_size(len(board.groups), 2)),
        "missing_therapist": cohorts.courses_without_therapist(board.actor.clinic_id)
        if board.valid and board.filters["group_by"] == "therapist"
        else 0,
    }
    # Bad filters re-render the page with the errors at their fields (and no numbers).
    return render(request, "outcomes/dashboard.html", context)


@never_cache
@svg_policy
@staff_required(*DASHBOARD_ROLES)
def dashboard_chart(request: HttpRequest) -> HttpResponse:
    board = _dashboard(request)
    if not board.valid:
        return HttpResponse(status=400)
    _audit(request, board, AuditAction.VIEW, "outcomes.dashboard_chart")
    chart = RateChart(
        title=_("%(m)s: response and remission by %(g)s (95%% CI)")
        % {
            "m": board.titles[board.filters["instrument"]],
            "g": GROUP_LABELS[board.filters["group_by"]].lower(),
        },
        groups=[row.label for row in board.groups],
        series=[
            (_("Response"), [row.response for row in board.groups]),
            (_("Remission"), [row.remission for row in board.groups]),
        ],
        x_label=_("% of courses with a follow-up score"),
        empty_label=_("No courses with a baseline in this selection"),
    )
    return svg_response(rates_svg(chart))


CSV_COLUMNS = [
    "group",
    "instrument",
    "settings_version",
    "baseline_rule",
    "courses_with_baseline",
    "with_follow_up",
    "missing_follow_up",
    "mean_baseline",
    "mean_last",
    "mean_change",
    "mean_change_ci_low",
    "mean_change_ci_high",
    "response_denominator",
    "responders",
    "response_rate",
    "response_ci_low",
    "response_ci_high",
    "remission_denominator",
    "remitters",
    "remission_rate",
    "remission_ci_low",
    "remission_ci_high",
    "nhs_pairs",
    "nhs_cases_at_start",
    *[
        f"nhs_{key}_{part}"
        for key in (
            "recovered",
            "reliable_improvement",
            "reliable_deterioration",
            "reliable_recovery",
        )
        for part in ("count", "rate", "ci_low", "ci_high")
    ],
]


def _r(value, digits: int = 4):
    return "" if value is None else round(value, digits)


def _interval_cells(interval) -> list:
    if interval is None:
        return ["", "", ""]
    return [_r(interval.estimate), _r(interval.low), _r(interval.high)]


def csv_row(board: Dashboard, row: GroupRow) -> list:
    change = row.change_ci
    cells = [
        row.label,
        board.filters["instrument"],
        board.config.version,
        board.config.baseline_rule,
        row.n,
        row.n_follow_up,
        row.missing_follow_up,
        _r(row.mean_baseline),
        _r(row.mean_last),
        _r(row.mean_change),
        _r(change.low) if change else "",
        _r(change.high) if change else "",
        row.response_n,
        row.response_k,
        *_interval_cells(row.response),
        row.remission_n,
        row.remission_k,
        *_interval_cells(row.remission),
        row.nhs.get("pairs", ""),
        row.nhs.get("case", ""),
    ]
    for key in ("recovered", "reliable_improvement", "reliable_deterioration", "reliable_recovery"):
        cells += [row.nhs.get(key, ""), *_interval_cells(row.nhs_rate(key) if row.nhs else None)]
    return cells


@staff_required(*DASHBOARD_ROLES)
def dashboard_export(request: HttpRequest) -> HttpResponse:
    board = _dashboard(request)
    if not board.valid:
        return render(
            request,
            "outcomes/dashboard.html",
            {"board": board, "group_label": GROUP_LABELS[board.filters["group_by"]]},
            status=400,
        )
    _audit(request, board, AuditAction.EXPORT, "outcomes.dashboard")
    rows = [csv_row(board, row) for row in [*board.groups, board.total]]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_lines(CSV_COLUMNS, rows), content_type="text/csv; charset=utf-8"
    )
    return set_download_name(response, f"kapcare-outcomes-{stamp}.csv")
