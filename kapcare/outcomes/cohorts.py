"""Cohort outcomes for the clinic dashboard, computed in the database in one query.

kapcare.outcomes.cohort_sql builds the statement: per course and instrument the baseline and
the last score (the same rules as kapcare.outcomes.rules pick_baseline / pick_last: ties broken
by id), then counts and sums per group and for the whole cohort. The confidence intervals are
worked out from the sums here, in Python (kapcare.outcomes.stats).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import Exists, OuterRef

from kapcare.clients.models import CareTeamMember
from kapcare.core.db_routers import reports_replica
from kapcare.courses.models import TreatmentCourse
from kapcare.outcomes.cohort_sql import cohort_query
from kapcare.outcomes.config import OutcomeConfig
from kapcare.outcomes.stats import Interval, mean_interval, wilson_interval

GROUPINGS = ("condition", "route", "therapist", "period")


@dataclass
class GroupRow:
    key: object
    label: str = ""
    n: int = 0  # courses with a baseline
    n_follow_up: int = 0  # … and a score after it
    sum_baseline: int = 0
    sum_last: int = 0
    sum_change: int = 0
    sum_change_sq: int = 0
    response_n: int = 0
    response_k: int = 0
    remission_n: int = 0
    remission_k: int = 0
    nhs: dict[str, int] = field(default_factory=dict)

    @property
    def missing_follow_up(self) -> int:
        return self.n - self.n_follow_up

    @property
    def mean_baseline(self) -> float | None:
        return self.sum_baseline / self.n_follow_up if self.n_follow_up else None

    @property
    def mean_last(self) -> float | None:
        return self.sum_last / self.n_follow_up if self.n_follow_up else None

    @property
    def mean_change(self) -> float | None:
        """Mean change, last − baseline (negative is improvement)."""
        return self.sum_change / self.n_follow_up if self.n_follow_up else None

    @property
    def change_ci(self) -> Interval | None:
        """The 95% t interval of the mean change; None below two courses."""
        n = self.n_follow_up
        if n < 2:
            return None
        # Sample variance from the sums; max() absorbs rounding when every change is equal.
        sd = math.sqrt(max(0.0, (self.sum_change_sq - self.sum_change**2 / n) / (n - 1)))
        return mean_interval(self.sum_change / n, sd, n)

    @property
    def response(self) -> Interval | None:
        return wilson_interval(self.response_k, self.response_n)

    @property
    def remission(self) -> Interval | None:
        return wilson_interval(self.remission_k, self.remission_n)

    def nhs_rate(self, key: str) -> Interval | None:
        """Recovery and reliable recovery over cases at start; the rest over complete pairs."""
        denominator = "case" if key in ("recovered", "reliable_recovery") else "pairs"
        return wilson_interval(self.nhs.get(key, 0), self.nhs.get(denominator, 0))


NHS_KEYS = (
    "pairs",
    "case",
    "recovered",
    "reliable_improvement",
    "reliable_deterioration",
    "reliable_recovery",
)


def cohort_rows(
    *,
    clinic_id: int,
    config: OutcomeConfig,
    code: str,
    group_by: str,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    tz=None,
) -> list[tuple]:
    """The dashboard's one statement, run as it is and its raw rows returned (no rendering,
    no intervals): see cohort_sql.cohort_query for their shape."""
    sql, params = cohort_query(
        clinic_id=clinic_id,
        config=config,
        code=code,
        group_by=group_by,
        date_from=date_from,
        date_to=date_to,
        tz=tz,
    )
    with connections[report_database()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def report_database() -> str:
    """The database the dashboard reads: the reports replica when one is configured
    (kapcare.core.db_routers), else the primary. The dashboard reads a whole clinic's courses,
    responses and sessions, which is what a replica is for; moments of replica lag do not
    change a cohort's numbers in any way that matters."""
    with reports_replica():
        return router.db_for_read(TreatmentCourse) or "default"


def cohort_table(
    *,
    clinic_id: int,
    config: OutcomeConfig,
    code: str,
    group_by: str,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    tz=None,
) -> tuple[list[GroupRow], GroupRow]:
    """Outcome counts and sums per group and for the whole cohort (one query)."""
    rows = cohort_rows(
        clinic_id=clinic_id,
        config=config,
        code=code,
        group_by=group_by,
        date_from=date_from,
        date_to=date_to,
        tz=tz,
    )
    groups = [_group_row(row[1:], config.nhs_ready) for row in rows if row[0] == 0]
    totals = [_group_row(("all", "", *row[3:]), config.nhs_ready) for row in rows if row[0] == 1]
    return groups, totals[0] if totals else GroupRow("all")


def _group_row(row, nhs: bool) -> GroupRow:
    key, label, *values = row
    values = [int(v or 0) for v in values]
    result = GroupRow(key, label or "", *values[:10])
    if nhs:
        result.nhs = dict(zip(NHS_KEYS, values[10:16], strict=True))
    return result


def courses_without_therapist(clinic_id: int) -> int:
    """How many of the clinic's courses have no therapist on the client's care team: the
    by-therapist table leaves them out, and the page says how many."""
    on_team = CareTeamMember.objects.filter(client=OuterRef("client"), role="therapist")
    courses = TreatmentCourse.objects.using(report_database()).filter(clinic_id=clinic_id)
    return courses.filter(~Exists(on_team)).count()
