"""Reads of screening protocols, screenings and eligibility decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone

from kapcare.clients.models import CareTeamMember
from kapcare.core.versioning import latest
from kapcare.courses.states import CLOSED
from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.models import (
    ContraindicationRule,
    EligibilityDecision,
    Screening,
    ScreeningProtocol,
)


def current_protocol(clinic_id: int) -> ScreeningProtocol | None:
    """The latest published version; None before the first (see kapcare.core.versioning)."""
    return latest(ScreeningProtocol, clinic_id)


def protocol_version(clinic_id: int, version: int) -> ScreeningProtocol | None:
    return ScreeningProtocol.objects.filter(clinic_id=clinic_id, version=version).first()


def protocol_versions(clinic_id: int):
    """Every version the clinic has published, newest first, with who published it."""
    return (
        ScreeningProtocol.objects.filter(clinic_id=clinic_id)
        .select_related("published_by")
        .annotate(rule_count=Count("rules"))
        .order_by("-version")
    )


def rules_as_dicts(protocol: ScreeningProtocol) -> list[dict[str, Any]]:
    # values() rows are plain dicts; the rules read them by key.
    return cast(
        "list[dict[str, Any]]",
        list(
            protocol.rules.order_by("position", "key").values(
                "key", "label", "kind", "condition", "rationale", "source", "override_allowed"
            )
        ),
    )


def latest_screening(course) -> Screening | None:
    return (
        course.screenings.select_related("protocol", "screened_by")
        .order_by("-screened_at", "-id")
        .first()
    )


def screening_for_client(client, screening_id: int) -> Screening | None:
    """One of this client's screenings (None for another client's or another clinic's)."""
    return (
        Screening.objects.filter(pk=screening_id, client=client, clinic_id=client.clinic_id)
        .select_related("course", "client", "protocol")
        .first()
    )


def latest_decision(course) -> EligibilityDecision | None:
    """The decision that stands: the newest one on the course's latest screening. A newer
    screening supersedes every decision on earlier ones, so a re-screening that needs review
    leaves no standing decision until the prescriber signs one (an older "eligible" must not
    keep the eligibility gate open)."""
    newest = Screening.objects.filter(course=course).order_by("-screened_at", "-id")
    return (
        EligibilityDecision.objects.filter(
            course=course, screening=Subquery(newest.values("pk")[:1])
        )
        .select_related("protocol", "decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )


def decision_history(course) -> list[EligibilityDecision]:
    """Every eligibility decision on the course, newest first (the first one counts)."""
    return list(
        EligibilityDecision.objects.filter(course=course)
        .select_related("protocol", "decided_by", "screening")
        .order_by("-decided_at", "-id")
    )


def pending_reviews(clinic_id: int):
    """Screenings that need a prescriber and have no decision yet: only each course's latest
    screening, since an older one was superseded by re-screening and can no longer be decided."""
    newest = Screening.objects.filter(course=OuterRef("course")).order_by("-screened_at", "-id")
    return (
        Screening.objects.filter(clinic_id=clinic_id, outcome="review", decisions__isnull=True)
        .exclude(course__status__in=CLOSED)
        .filter(pk=Subquery(newest.values("pk")[:1]))
        .select_related("client", "course")
        .order_by("screened_at")
    )


def rules_for_editing(clinic_id: int) -> tuple[list[dict], dict[str, dict]]:
    """What the protocol editor starts from: the current version's rules (the FACTS.md defaults
    before a first version), and the candidates for the next version — those rules, then every
    rule an earlier version or the defaults had that the current one does not, so a rule that
    was switched off can be switched on again."""
    protocol = current_protocol(clinic_id)
    current = rules_as_dicts(protocol) if protocol else [dict(rule) for rule in DEFAULT_RULES]
    candidates = {rule["key"]: rule for rule in current}
    earlier = (
        ContraindicationRule.objects.filter(protocol__clinic_id=clinic_id)
        .order_by("-protocol__version", "position")
        .values("key", "label", "kind", "condition", "rationale", "source", "override_allowed")
    )
    for rule in [*earlier, *DEFAULT_RULES]:
        candidates.setdefault(rule["key"], dict(rule))
    return current, candidates


AUTOMATIC_SCREENING_SHOWN_FOR = dt.timedelta(days=7)


def intakes_screened_for(*, clinic_id: int, member) -> list[Screening]:
    """Intakes completed and screened automatically in the last week for clients on `member`'s
    care team: the newest screening of each open course, when kapcare made it (nobody has
    screened again since). One query."""

    newest = Screening.objects.filter(course=OuterRef("course")).order_by("-screened_at", "-id")
    return list(
        Screening.objects.filter(
            clinic_id=clinic_id,
            screened_by__isnull=True,
            screened_at__gte=timezone.now() - AUTOMATIC_SCREENING_SHOWN_FOR,
        )
        .exclude(course__status__in=CLOSED)
        .filter(pk=Subquery(newest.values("pk")[:1]))
        .filter(Exists(CareTeamMember.objects.filter(client=OuterRef("client"), user=member)))
        .select_related("client")
        .order_by("-screened_at")[:20]
    )
