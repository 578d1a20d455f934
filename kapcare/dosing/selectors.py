"""Reads for dosing shared by the gates, views, PDFs and (later) the API."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from kapcare.accounts.actor import Actor
from kapcare.clients.models import Intake
from kapcare.core.versioning import latest
from kapcare.dosing.models import (
    Administration,
    AdministrationKind,
    AdverseEvent,
    Discharge,
    DoseOrder,
    DosingNotification,
    DosingProtocol,
    DosingSession,
    MonitoringAlert,
    PreDoseCheck,
    RemsRecord,
    SessionNote,
    VitalSign,
)
from kapcare.dosing.permissions import sessions_visible_to
from kapcare.dosing.states import AWAITING_DOSE, LIVE
from kapcare.ledger.models import EntryKind, LedgerEntry


def current_dosing_protocol(clinic_id: int) -> DosingProtocol | None:
    """The latest published version; None before the first (see kapcare.core.versioning)."""
    return latest(DosingProtocol, clinic_id)


def current_order(course) -> DoseOrder | None:
    """The course's latest order that has not been cancelled (it may still have expired)."""
    return (
        DoseOrder.objects.filter(course=course, cancelled_at__isnull=True)
        .select_related("signed_by", "protocol")
        .order_by("-signed_at", "-id")
        .first()
    )


def sessions_used(order: DoseOrder) -> int:
    """Sessions in which a dose under this order was given (the dose's start is recorded
    with it, in the same transaction as its administration)."""
    return DosingSession.objects.filter(dose_order=order, dose_started_at__isnull=False).count()


def awaiting_session(course) -> DosingSession | None:
    """The course's session that is checked in and not yet dosed, if any."""
    return (
        DosingSession.objects.filter(course=course, status__in=AWAITING_DOSE)
        .select_related("protocol", "client", "clinic")
        .first()
    )


def latest_check(session: DosingSession) -> PreDoseCheck | None:
    return session.pre_dose_checks.order_by("-recorded_at", "-id").first()


def pregnancy_applicable(client) -> bool:
    """Whether a pregnancy test applies (FACTS.md §4.3): unless the intake says it does not."""
    status = Intake.objects.filter(client=client).values_list("pregnancy_status", flat=True).first()
    return status != "not_applicable"


def session_for_actor_or_404(actor: Actor, client, session_id: int) -> DosingSession:
    session = (
        sessions_visible_to(actor)
        .filter(pk=session_id, client=client)
        .select_related("clinic", "client", "course", "protocol", "dose_order__signed_by")
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    return session


def panel_view(session: DosingSession) -> dict:
    """What the polled status panel reads (checks, readings, alerts, ratings), in four queries:
    the panel is fetched every few seconds by every open page, so it skips what only the rest
    of the page shows."""
    checks = list(
        session.pre_dose_checks.select_related("recorded_by", "cleared_by").order_by(
            "recorded_at", "id"
        )
    )
    vitals = list(session.vitals.select_related("recorded_by").order_by("recorded_at", "id"))
    alerts = list(
        MonitoringAlert.objects.filter(session=session)
        .select_related("acknowledged_by", "vital")
        .order_by("raised_at", "id")
    )
    ratings = list(session.dissociation_ratings.select_related("rated_by"))
    return {
        "checks": checks,
        "check": checks[-1] if checks else None,
        "vitals": vitals,
        "alerts": alerts,
        "open_alerts": [a for a in alerts if a.is_open],
        "ratings": ratings,
    }


def live_view(session: DosingSession) -> dict:
    """Everything the live page shows, in a fixed number of queries."""
    administrations = list(
        session.administrations.select_related("administered_by", "lot__product", "location")
    )
    events = list(
        AdverseEvent.objects.filter(session=session)
        .select_related("recorded_by")
        .prefetch_related(Prefetch("rescue_medications", queryset=Administration.objects.all()))
    )
    note = SessionNote.objects.filter(session=session).select_related("updated_by").first()
    return {
        **panel_view(session),
        "dose": next((a for a in administrations if a.kind == AdministrationKind.DOSE), None),
        "rescues": [a for a in administrations if a.kind == AdministrationKind.RESCUE],
        "adverse_events": events,
        "note": note,
    }


def session_wastes(session: DosingSession) -> list[LedgerEntry]:
    """Every witnessed waste booked against the session, in time order: the rest of the
    opened units and anything drawn but not given. Each carries `wasted_mg` (positive)."""
    wastes = list(
        LedgerEntry.objects.filter(
            clinic_id=session.clinic_id, dosing_session_id=session.pk, kind=EntryKind.WASTE
        ).order_by("occurred_at", "sequence")
    )
    for entry in wastes:
        entry.wasted_mg = -entry.quantity_mg  # type: ignore[attr-defined]  # display attribute
    return wastes


def baseline_of(check: PreDoseCheck | None) -> dict | None:
    if check is None:
        return None
    return {
        "systolic": check.systolic,
        "diastolic": check.diastolic,
        "heart_rate": check.heart_rate,
        "spo2": check.spo2,
    }


def latest_reading(vitals: list[VitalSign]) -> dict:
    """The most recent value of each measurement (a reading may hold only some of them)."""
    latest: dict = {}
    for reading in sorted(vitals, key=lambda v: (v.recorded_at, v.id)):
        for field in ("systolic", "diastolic", "heart_rate", "spo2"):
            value = getattr(reading, field)
            if value is not None:
                latest[field] = value
                latest[f"{field}_at"] = reading.recorded_at
    return latest


def todays_sessions(actor: Actor, day: dt.date) -> QuerySet[DosingSession]:
    """Sessions at the actor's clinic scheduled on `day` (clinic-local) or still under way,
    for clients the actor may see clinically; with their open alert counts. Unevaluated, so the
    board can show it a page at a time (the clinic and time range are one index range)."""
    zone = zoneinfo.ZoneInfo(actor.clinic.time_zone)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = start + dt.timedelta(days=1)
    return (
        sessions_visible_to(actor)
        .filter(Q(scheduled_for__gte=start, scheduled_for__lt=end) | Q(status__in=LIVE))
        .select_related("client", "dose_order")
        .annotate(
            open_alerts=Count("alerts", filter=Q(alerts__acknowledged_at__isnull=True)),
        )
        .order_by("scheduled_for", "id")
    )


def client_sessions(client) -> list[DosingSession]:
    return list(
        DosingSession.objects.filter(client=client)
        .select_related("dose_order")
        .annotate(open_alerts=Count("alerts", filter=Q(alerts__acknowledged_at__isnull=True)))
        .order_by("-scheduled_for", "-id")
    )


def client_orders(client) -> list[DoseOrder]:
    return list(
        DoseOrder.objects.filter(client=client)
        .select_related("signed_by", "cancelled_by", "protocol")
        .annotate(used=Count("sessions", filter=Q(sessions__dose_started_at__isnull=False)))
        .order_by("-signed_at", "-id")
    )


def unread_notifications(actor: Actor) -> list[DosingNotification]:
    if actor.user is None:
        return []
    return list(
        DosingNotification.objects.filter(
            clinic=actor.clinic, recipient=actor.user, read_at__isnull=True
        )
        .select_related("session__client", "adverse_event")
        .order_by("-created_at")[:20]
    )


def timeline(session: DosingSession, data: dict) -> list[dict]:
    """Every event of the session in time order, for the session record."""
    items: list[dict] = [
        {"at": change.changed_at, "kind": "status", "obj": change}
        for change in session.history.select_related("changed_by")
    ]
    items += [{"at": c.recorded_at, "kind": "check", "obj": c} for c in data["checks"]]
    if data["dose"]:
        items.append({"at": data["dose"].started_at, "kind": "dose", "obj": data["dose"]})
    items += [{"at": v.recorded_at, "kind": "vitals", "obj": v} for v in data["vitals"]]
    items += [{"at": a.raised_at, "kind": "alert", "obj": a} for a in data["alerts"]]
    items += [
        {"at": a.acknowledged_at, "kind": "ack", "obj": a}
        for a in data["alerts"]
        if a.acknowledged_at
    ]
    items += [{"at": r.rated_at, "kind": "rating", "obj": r} for r in data["ratings"]]
    items += [{"at": e.occurred_at, "kind": "adverse", "obj": e} for e in data["adverse_events"]]
    items += [{"at": r.started_at, "kind": "rescue", "obj": r} for r in data["rescues"]]
    order = {"status": 0, "check": 1, "dose": 2, "vitals": 3, "alert": 4, "ack": 5}
    return sorted(items, key=lambda item: (item["at"], order.get(item["kind"], 9)))


def session_discharge(session: DosingSession) -> Discharge | None:
    return Discharge.objects.filter(session=session).select_related("discharged_by").first()


def session_rems_record(session: DosingSession) -> RemsRecord | None:
    return RemsRecord.objects.filter(session=session).select_related("recorded_by").first()


def dosing_protocol_versions(clinic_id: int) -> list[DosingProtocol]:
    """Every published version of the clinic's dosing protocol, with who published it."""
    return list(DosingProtocol.objects.filter(clinic_id=clinic_id).select_related("published_by"))
