"""Reads for the start of the pathway: the public contact form, the inquiry queue, intake."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic
from kapcare.clients.intake_catalogue import CONDITIONS
from kapcare.clients.models import Client, ClientLink, Inquiry, InquiryStatus, Intake, LinkPurpose

# The queue's default view: inquiries someone still has to act on.
OPEN_STATUSES = (InquiryStatus.NEW, InquiryStatus.CONTACTED)


def clinics_taking_inquiries() -> QuerySet[Clinic]:
    """The clinics a visitor may write to (every clinic on this installation)."""
    return Clinic.objects.order_by("name", "pk")


PUBLIC_SITE_CLINICS = 10


def public_site_clinics() -> list[Clinic]:
    """The clinic (or the few clinics) this installation's public site speaks for: its name,
    address, phone, hours and fees come from each clinic's settings."""
    return list(Clinic.objects.order_by("name", "pk")[:PUBLIC_SITE_CLINICS])


def inquiry_queue(*, actor: Actor, status: str = "") -> QuerySet[Inquiry]:
    """The actor's clinic's inquiries, newest first: open ones unless `status` picks another.

    One query per page whatever its length (the handler comes by join)."""
    inquiries = Inquiry.objects.filter(clinic=actor.clinic).select_related("handled_by")
    if status:
        return inquiries.filter(status=status)
    return inquiries.filter(status__in=OPEN_STATUSES)


def get_inquiry_for_actor_or_404(actor: Actor, inquiry_id: int) -> Inquiry:
    """An inquiry at the actor's clinic; another clinic's or an unknown id is a plain 404."""
    inquiry = (
        Inquiry.objects.filter(clinic=actor.clinic, pk=inquiry_id)
        .select_related("handled_by", "client")
        .first()
    )
    if inquiry is None:
        raise Http404("No such inquiry.")
    return inquiry


def intake_for(client: Client) -> Intake | None:
    return Intake.objects.filter(client=client).select_related("completed_by").first()


def open_intake_link(client: Client) -> ClientLink | None:
    """The newest intake link the client could still use, if there is one."""
    return (
        ClientLink.objects.filter(
            client=client,
            purpose=LinkPurpose.INTAKE,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def conditions_by_group(keys: list[str] | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The history catalogue as [(group, [(key, label), …])] in catalogue order; only `keys`
    when given (an intake's ticked items), leaving out groups with none."""
    groups: dict[str, list[tuple[str, str]]] = {}
    wanted = None if keys is None else set(keys)
    for key, label, group in CONDITIONS:
        if wanted is None or key in wanted:
            groups.setdefault(str(group), []).append((key, str(label)))
    return list(groups.items())
