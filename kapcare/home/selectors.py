"""What a staff member's home page shows: their own clients by stage, and what needs them now.

Every section is bounded: at most `HOME_ROWS` rows (a stage, a worklist) with the section's
total from one COUNT, and a link to the paginated full list. The page's size and its query
count do not grow with the clinic (tests/home assert both)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.models import CareTeamMember, Client, ClientStatus, Inquiry, InquiryStatus
from kapcare.clients.permissions import clients_visible_to
from kapcare.core.paging import Section, first_rows
from kapcare.courses.models import ClinicalNote, CourseStatus, NoteStatus, TreatmentCourse
from kapcare.courses.states import CLOSED, OPEN
from kapcare.dosing.integration_selectors import overdue_integration, with_due_by
from kapcare.dosing.review_selectors import waiting_reviews_for
from kapcare.dosing.selectors import unread_notifications
from kapcare.measures.selectors import open_alerts_for_actor
from kapcare.screening.models import Screening
from kapcare.screening.selectors import intakes_screened_for, pending_reviews

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RECENT = 8
# Rows a home-page section shows before its "see all" link: enough to act on at a glance.
HOME_ROWS = 10
CLINICAL_ROLES = (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)
OPEN_STAGES = [(v, label) for v, label in CourseStatus.choices if v not in CLOSED]


@dataclass
class HomeSummary:
    my_clients: list[Client]
    my_client_count: int
    status_counts: list[tuple[StrOrPromise, int]]
    clinic_wide: bool
    stages: list[tuple[str, StrOrPromise, Section]] = field(default_factory=list)
    integration_overdue: Section = field(default_factory=Section)
    reviews_pending: Section = field(default_factory=Section)
    drafts_to_sign: Section = field(default_factory=Section)
    new_inquiries: int = 0
    dosing_notifications: list = field(default_factory=list)
    chair_reviews: list = field(default_factory=list)
    intakes_screened: list = field(default_factory=list)
    risk_alerts: list = field(default_factory=list)

    @property
    def preparation_incomplete(self) -> Section:
        return next(
            (s for value, _l, s in self.stages if value == CourseStatus.PREPARATION), Section()
        )

    def client_ids_shown(self) -> list[int]:
        """The clients whose names the page renders: the rows shown, not every row counted."""
        ids = {c.pk for c in self.my_clients}
        ids |= {c.client_id for _v, _l, section in self.stages for c in section.rows}
        ids |= {s.client_id for s in self.integration_overdue.rows}
        ids |= {s.client_id for s in self.reviews_pending.rows}
        ids |= {n.client_id for n in self.drafts_to_sign.rows}
        ids |= {n.session.client_id for n in self.dosing_notifications}
        ids |= {r.session.client_id for r in self.chair_reviews}
        ids |= {s.client_id for s in self.intakes_screened}
        ids |= {a.client_id for a in self.risk_alerts}
        return sorted(ids)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.preparation_incomplete
            or self.integration_overdue
            or self.reviews_pending
            or self.drafts_to_sign
            or self.dosing_notifications
            or self.chair_reviews
            or self.intakes_screened
        )


def _on_my_team(actor: Actor, client_field: str = "client"):
    return Exists(CareTeamMember.objects.filter(client=OuterRef(client_field), user=actor.user))


def my_open_courses(actor: Actor, status: str = "") -> QuerySet[TreatmentCourse]:
    """Open courses of clients on the actor's care team, by client name."""
    courses = (
        TreatmentCourse.objects.filter(clinic=actor.clinic)
        .filter(_on_my_team(actor))
        .filter(status__in=OPEN)
    )
    if status:
        courses = courses.filter(status=status)
    return courses.select_related("client").order_by(
        "client__last_name", "client__first_name", "id"
    )


def my_reviews_pending(actor: Actor) -> QuerySet[Screening]:
    return pending_reviews(actor.clinic_id).filter(_on_my_team(actor))


def my_drafts(actor: Actor) -> QuerySet[ClinicalNote]:
    return (
        ClinicalNote.objects.filter(clinic=actor.clinic, author=actor.user, status=NoteStatus.DRAFT)
        .select_related("client")
        .order_by("session_date", "id")
    )


def _stages(actor: Actor) -> list[tuple[str, StrOrPromise, Section]]:
    """Each open stage's first rows and its count, in two queries: the first rows of every stage
    at once (numbered within their stage), and the counts by stage."""
    courses = my_open_courses(actor)
    counts = dict(
        courses.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    numbered = courses.annotate(
        row=Window(
            RowNumber(),
            partition_by=[F("status")],
            order_by=[F("client__last_name"), F("client__first_name"), F("id")],
        )
    ).filter(row__lte=HOME_ROWS)
    by_stage: dict[str, list[TreatmentCourse]] = {}
    for course in numbered:
        by_stage.setdefault(course.status, []).append(course)
    return [
        (value, label, Section(rows=by_stage.get(value, []), total=counts.get(value, 0)))
        for value, label in OPEN_STAGES
    ]


def home_summary(*, actor: Actor) -> HomeSummary:
    visible = clients_visible_to(actor)
    clinical = actor.has_role(*CLINICAL_ROLES)
    mine = visible.filter(_on_my_team(actor, "pk")) if clinical else visible
    counts = dict(
        visible.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    summary = HomeSummary(
        my_clients=list(mine.order_by("-updated_at")[:RECENT]),
        my_client_count=mine.count(),
        status_counts=[(label, counts.get(value, 0)) for value, label in ClientStatus.choices],
        clinic_wide=actor.has_role(Role.FRONT_DESK, Role.CLINIC_ADMIN),
        # Open suicide-risk alerts lead the page for whoever must act on them (at most 50).
        risk_alerts=open_alerts_for_actor(actor) if actor.user else [],
    )
    if actor.has_role(Role.FRONT_DESK, Role.CLINIC_ADMIN):
        summary.new_inquiries = Inquiry.objects.filter(
            clinic=actor.clinic, status=InquiryStatus.NEW
        ).count()
    if not clinical:
        return summary
    summary.stages = _stages(actor)
    if actor.has_role(Role.THERAPIST):
        sessions, window = overdue_integration(
            clinic_id=actor.clinic_id, at=timezone.now(), member=actor.user
        )
        summary.integration_overdue = first_rows(sessions, HOME_ROWS)
        summary.integration_overdue.rows = with_due_by(summary.integration_overdue.rows, window)
        summary.drafts_to_sign = first_rows(my_drafts(actor), HOME_ROWS)
    # Serious adverse events notify the prescriber at once: they lead the home page too.
    summary.dosing_notifications = unread_notifications(actor)
    # A client waiting in the chair for this prescriber's review comes first of all.
    summary.chair_reviews = waiting_reviews_for(actor)
    # A client's completed intake was screened automatically: the care team looks next.
    summary.intakes_screened = intakes_screened_for(clinic_id=actor.clinic_id, member=actor.user)
    if actor.has_role(Role.PRESCRIBER):
        summary.reviews_pending = first_rows(my_reviews_pending(actor), HOME_ROWS)
    return summary
