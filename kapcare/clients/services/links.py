"""Single-use links: made by staff, opened by the client, refused when reused, expired or
forged (always as a plain 404, so a guess learns nothing)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kapcare.accounts.actor import Actor, staff_user
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import ClientLink
from kapcare.clients.models.links import hash_token
from kapcare.clients.permissions import ClientAction, can
from kapcare.core.sms import send_sms

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
        created_by=staff_user(actor),
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


class LinkChannel(models.TextChoices):
    """How a link reaches the client. Staff choose; "copy" sends nothing (they paste it)."""

    EMAIL = "email", gettext_lazy("E-mail it to the client")
    SMS = "sms", gettext_lazy("Text it to the client")
    COPY = "copy", gettext_lazy("Don't send: I'll copy it")


def channels_for(client) -> list[tuple[str, str]]:
    """The channels this client can be reached by (an e-mail or phone on file), then copy."""
    choices: list[tuple[str, str]] = []
    if client.email:
        choices.append((LinkChannel.EMAIL, f"{LinkChannel.EMAIL.label} ({client.email})"))
    if client.phone:
        choices.append((LinkChannel.SMS, f"{LinkChannel.SMS.label} ({client.phone})"))
    choices.append((LinkChannel.COPY, str(LinkChannel.COPY.label)))
    return choices


def _link_message(link: ClientLink, url: str) -> tuple[str, str, str]:
    """(subject, e-mail body, text message) naming the clinic and nothing clinical: no form,
    questionnaire, score or diagnosis, since a message can be read by someone else."""
    clinic = link.clinic
    expires = timezone.localtime(link.expires_at, clinic.zone).strftime("%b %d, %H:%M")
    values = {"clinic": clinic.name, "url": url, "expires": expires, "phone": clinic.phone}
    subject = _("%(clinic)s: a form for you") % values
    body = (
        _(
            "Hello,\n\nYour clinic, %(clinic)s, has a form for you. Open this link to fill it "
            "in. It works once, until %(expires)s:\n\n%(url)s\n\n"
            "If you were not expecting this message, you can ignore it."
        )
        % values
    )
    if clinic.phone:
        body += " " + _("Questions? Call the clinic at %(phone)s.") % values
    text = _("%(clinic)s: your clinic has a form for you. %(url)s (works once, until %(expires)s)")
    return subject, body, text % values


@transaction.atomic
def send_link_to_client(*, actor: Actor, link: ClientLink, url: str, channel: str) -> str:
    """Send the client their link by e-mail or text message (after commit), audited; "copy"
    sends nothing. Returns where it went, for the staff member's confirmation. The message
    holds no clinical details (see `_link_message`)."""
    client = link.client
    if not can(actor, ClientAction.VIEW, client):
        raise PermissionDenied(_("You may not act for this client."))
    if channel == LinkChannel.COPY:
        return ""
    if channel == LinkChannel.EMAIL:
        address = client.email
    elif channel == LinkChannel.SMS:
        address = client.phone
    else:
        raise ValidationError({"channel": _("Choose how to send the link.")})
    if not address:
        raise ValidationError(
            {
                "channel": _("The client has no e-mail address on file.")
                if channel == LinkChannel.EMAIL
                else _("The client has no phone number on file.")
            }
        )
    subject, body, text = _link_message(link, url)
    if channel == LinkChannel.EMAIL:
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        )
    else:
        transaction.on_commit(lambda: send_sms(address, text))
    record_event(
        actor=actor,
        action=AuditAction.EXPORT,
        client=client,
        obj=link,
        summary=_("Sent a single-use link to the client by %(channel)s: %(p)s")
        % {
            "channel": _("e-mail") if channel == LinkChannel.EMAIL else _("text message"),
            "p": link.get_purpose_display(),
        },
        details={"channel": str(channel), "to": address},
    )
    return address


def send_as_asked(request, *, actor: Actor, link: ClientLink, url: str) -> str:
    """For views: send `link` by the channel the staff member chose in the form (`channel`;
    none given means copy). A channel the client cannot be reached by is shown as a message and
    the link is still shown to copy. Returns where it was sent ("" when not sent)."""
    channel = request.POST.get("channel") or LinkChannel.COPY
    try:
        return send_link_to_client(actor=actor, link=link, url=url, channel=channel)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return ""


# --- Showing a link again (post/redirect/get) ---------------------------------------------------
# The database keeps only a link's hash, so the page that shows the address is reached by a
# redirect after the POST that made it. The token waits in the staff member's own (server-side)
# session, so a reload or Back shows the same link again until it is used or expires; after
# that the page offers to make a new one.
_ISSUED_KEY = "kapcare_issued_links"


def remember_issued_link(request, link: ClientLink, token: str, *, sent_to: str = "") -> None:
    stored = request.session.get(_ISSUED_KEY, {})
    alive = {
        str(pk)
        for pk in ClientLink.objects.filter(
            pk__in=[int(pk) for pk in stored], used_at__isnull=True, expires_at__gt=timezone.now()
        ).values_list("pk", flat=True)
    }
    issued = {pk: kept for pk, kept in stored.items() if pk in alive}
    issued[str(link.pk)] = [token, sent_to]
    request.session[_ISSUED_KEY] = issued


def issued_link(request, *, client, purpose: str, target_id: int | None = None):
    """The newest still-usable link of `purpose` this staff member made for `client` in this
    session, as (link, token, where it was sent or ""); else None."""
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
    if link is None:
        return None
    token, sent_to = issued[str(link.pk)]
    if not secrets.compare_digest(hash_token(token), link.token_sha256):
        return None
    return link, token, sent_to


def make_and_send(request, *, actor: Actor, link: ClientLink, token: str, url: str) -> str:
    """The POST side of a link page: send the new link as the staff member asked, and keep it
    (with where it went) for the page the POST redirects to. Returns where it was sent."""
    sent_to = send_as_asked(request, actor=actor, link=link, url=url)
    remember_issued_link(request, link, token, sent_to=sent_to)
    return sent_to
