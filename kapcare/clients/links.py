"""Single-use links: made by staff, opened by the client, refused when reused, expired or
forged (always as a plain 404, so a guess learns nothing)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import ClientLink
from kapcare.clients.models.links import hash_token
from kapcare.clients.permissions import ClientAction, can

DEFAULT_LIFETIME = dt.timedelta(days=7)


@transaction.atomic
def create_link(
    *,
    actor: Actor,
    client,
    purpose: str,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
    target_id: int | None = None,
) -> tuple[ClientLink, str]:
    """A new link and its token. The token is returned once and only its hash is stored."""
    if not can(actor, ClientAction.VIEW, client):
        raise PermissionDenied(_("You may not act for this client."))
    token = secrets.token_urlsafe(32)
    link = ClientLink.objects.create(
        clinic=client.clinic,
        client=client,
        purpose=purpose,
        token_sha256=hash_token(token),
        created_by=actor.user,
        expires_at=timezone.now() + lifetime,
        target_id=target_id,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=client,
        obj=link,
        summary=_("Made a single-use link: %(p)s") % {"p": link.get_purpose_display()},
    )
    return link, token


def usable_link_or_404(token: str, purpose: str, *, lock: bool = False) -> ClientLink:
    links = ClientLink.objects.select_related("client", "clinic")
    if lock:
        links = links.select_for_update()
    link = links.filter(token_sha256=hash_token(token), purpose=purpose).first()
    if link is None or not link.is_usable():
        raise Http404("This link is not valid.")
    return link


def mark_used(link: ClientLink) -> None:
    """Spend the link; call inside the transaction that saves what it was for."""
    updated = ClientLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not updated:
        raise Http404("This link is not valid.")


# --- Showing a link again (post/redirect/get) ---------------------------------------------------
# The database keeps only a link's hash, so the page that shows the address is reached by a
# redirect after the POST that made it. The token waits in the staff member's own (server-side)
# session, so a reload or Back shows the same link again until it is used or expires; after
# that the page offers to make a new one.
_ISSUED_KEY = "kapcare_issued_links"


def remember_issued_link(request, link: ClientLink, token: str) -> None:
    stored = request.session.get(_ISSUED_KEY, {})
    alive = {
        str(pk)
        for pk in ClientLink.objects.filter(
            pk__in=[int(pk) for pk in stored], used_at__isnull=True, expires_at__gt=timezone.now()
        ).values_list("pk", flat=True)
    }
    issued = {pk: kept for pk, kept in stored.items() if pk in alive}
    issued[str(link.pk)] = token
    request.session[_ISSUED_KEY] = issued


def issued_link(request, *, client, purpose: str, target_id: int | None = None):
    """The newest still-usable link of `purpose` this staff member made for `client` in this
    session, with its token; else None."""
    issued = request.session.get(_ISSUED_KEY, {})
    if not issued:
        return None
    links = ClientLink.objects.filter(
        pk__in=[int(pk) for pk in issued],
        client=client,
        clinic_id=client.clinic_id,
        purpose=purpose,
        created_by=request.user,
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if target_id is not None:
        links = links.filter(target_id=target_id)
    link = links.order_by("-created_at", "-pk").first()
    if link is None or not secrets.compare_digest(
        hash_token(issued[str(link.pk)]), link.token_sha256
    ):
        return None
    return link, issued[str(link.pk)]
