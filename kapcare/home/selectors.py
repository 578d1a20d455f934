"""What a staff member's home page shows: their own clients by stage, and what needs them now.

Every list is one query whatever the clinic's size (tests/core assert the count)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.models import CareTeamMember, Client, ClientStatus, Inquiry, InquiryStatus
from kapcare.clients.permissions import clients_visible_to
from kapcare.courses.models import ClinicalNote, CourseStatus, NoteStatus, TreatmentCourse
from kapcare.courses.states import CLOSED
from kapcare.dosing.integration_selectors import integration_overdue
from kapcare.dosing.review_selectors import waiting_reviews_for
from kapcare.dosing.selectors import unread_notifications
from kapcare.screening.selectors import intakes_screened_for, pending_reviews

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RECENT = 8
CLINICAL_ROLES = (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)


@dataclass
class HomeSummary:
    my_clients: list[Client]
    my_client_count: int
    status_counts: list[tuple[StrOrPromise, int]]
    clinic_wide: bool
    stages: list[tuple[str, StrOrPromise, list[TreatmentCourse]]] = field(default_factory=list)
    preparation_incomplete: list[TreatmentCourse] = field(default_factory=list)
    integration_overdue: list = field(default_factory=list)
    reviews_pending: list = field(default_factory=list)
    drafts_to_sign: list[ClinicalNote] = field(default_factory=list)
    new_inquiries: int = 0
    dosing_notifications: list = field(default_factory=list)
    chair_reviews: list = field(default_factory=list)
    intakes_screened: list = field(default_factory=list)

    def client_ids_shown(self) -> list[int]:
        ids = {c.pk for c in self.my_clients}
        ids |= {c.client_id for _v, _l, courses in self.stages for c in courses}
        ids |= {s.client_id for s in [*self.integration_overdue, *self.reviews_pending]}
        ids |= {n.client_id for n in self.drafts_to_sign}
        ids |= {n.session.client_id for n in self.dosing_notifications}
        ids |= {r.session.client_id for r in self.chair_reviews}
        ids |= {s.client_id for s in self.intakes_screened}
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
    )
    if actor.has_role(Role.FRONT_DESK, Role.CLINIC_ADMIN):
        summary.new_inquiries = Inquiry.objects.filter(
            clinic=actor.clinic, status=InquiryStatus.NEW
        ).count()
    if not clinical:
        return summary
    open_courses = list(
        TreatmentCourse.objects.filter(clinic=actor.clinic)
        .filter(_on_my_team(actor))
        .exclude(status__in=CLOSED)
        .select_related("client")
        .order_by("client__last_name", "client__first_name")
    )
    summary.stages = [
        (value, label, [c for c in open_courses if c.status == value])
        for value, label in CourseStatus.choices
        if value not in CLOSED
    ]
    summary.preparation_incomplete = [
        c for c in open_courses if c.status == CourseStatus.PREPARATION
    ]
    if actor.has_role(Role.THERAPIST):
        summary.integration_overdue = integration_overdue(
            clinic_id=actor.clinic_id, at=timezone.now(), member=actor.user
        )
        summary.drafts_to_sign = list(
            ClinicalNote.objects.filter(
                clinic=actor.clinic, author=actor.user, status=NoteStatus.DRAFT
            )
            .select_related("client")
            .order_by("session_date")[:20]
        )
    # Serious adverse events notify the prescriber at once: they lead the home page too.
    summary.dosing_notifications = unread_notifications(actor)
    # A client waiting in the chair for this prescriber's review comes first of all.
    summary.chair_reviews = waiting_reviews_for(actor)
    # A client's completed intake was screened automatically: the care team looks next.
    summary.intakes_screened = intakes_screened_for(clinic_id=actor.clinic_id, member=actor.user)
    if actor.has_role(Role.PRESCRIBER):
        summary.reviews_pending = list(pending_reviews(actor.clinic_id).filter(_on_my_team(actor)))
    return summary
