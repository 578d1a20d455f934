"""Reads for prescriber review requests from the chair (kapcare.dosing.services.review)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role, User
from kapcare.clients.models import CareTeamMember
from kapcare.dosing.models import (
    DosingSession,
    DosingStatus,
    PreDoseCheck,
    ReviewRequest,
    ReviewStatus,
)
from kapcare.dosing.permissions import sessions_visible_to


def _still_waiting(queryset: QuerySet) -> QuerySet:
    """Waiting requests the session has not moved past: still at the pre-dose checks, the
    check asked about still the latest and not cleared some other way."""
    newer = PreDoseCheck.objects.filter(session=OuterRef("session")).filter(
        Q(recorded_at__gt=OuterRef("pre_dose_check__recorded_at"))
        | Q(recorded_at=OuterRef("pre_dose_check__recorded_at"), pk__gt=OuterRef("pre_dose_check"))
    )
    return queryset.filter(
        status=ReviewStatus.WAITING,
        session__status=DosingStatus.PRE_DOSE_CHECKS,
        pre_dose_check__cleared_at__isnull=True,
    ).exclude(Exists(newer))


def waiting_reviews_for(actor: Actor) -> list[ReviewRequest]:
    """What waits for this prescriber: requests for clients on whose care team they are the
    prescriber. One query."""
    if actor.user is None or not actor.has_role(Role.PRESCRIBER):
        return []
    mine = CareTeamMember.objects.filter(
        client=OuterRef("session__client"), user=actor.user, role=Role.PRESCRIBER
    )
    return list(
        _still_waiting(ReviewRequest.objects.filter(clinic=actor.clinic))
        .filter(Exists(mine))
        .select_related("session__client", "requested_by")
        .order_by("requested_at", "id")[:20]
    )


def session_review(session: DosingSession) -> ReviewRequest | None:
    """The session's latest request, with whether it still waits (for the nurse's panel)."""
    request = (
        ReviewRequest.objects.filter(session=session)
        .select_related("requested_by", "decided_by", "pre_dose_check__cleared_by")
        .order_by("-requested_at", "-id")
        .first()
    )
    if request is not None:
        request.still_waiting = _still_waiting(ReviewRequest.objects.filter(pk=request.pk)).exists()
    return request


def review_for_actor_or_404(actor: Actor, request_id: int) -> ReviewRequest:
    """A request at the actor's clinic for a session the actor may see clinically."""
    request = (
        ReviewRequest.objects.filter(
            pk=request_id, clinic=actor.clinic, session__in=sessions_visible_to(actor)
        )
        .select_related("session__client", "pre_dose_check", "requested_by", "decided_by")
        .first()
    )
    if request is None:
        raise Http404("No such review request.")
    return request


def prescribers_to_ask(session: DosingSession) -> list[User]:
    """The active prescribers on the client's care team."""
    ids = session.client.care_team.filter(role=Role.PRESCRIBER, user__is_active=True).values_list(
        "user_id", flat=True
    )
    return list(User.objects.filter(pk__in=list(ids), is_active=True).order_by("pk"))


def session_review_requests(session: DosingSession) -> QuerySet[ReviewRequest]:
    """The session's review requests with the check they are about and who asked and decided."""
    return ReviewRequest.objects.filter(session=session).select_related(
        "pre_dose_check", "requested_by", "decided_by"
    )
