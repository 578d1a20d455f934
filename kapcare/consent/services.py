"""Writes for consent: publishing versions, signing, withdrawing."""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, Role
from kapcare.accounts.signatures import typed_name_matches
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import LinkPurpose
from kapcare.clients.permissions import ClientAction, can
from kapcare.clients.services.links import mark_used, usable_link_or_404
from kapcare.consent.defaults import DEFAULT_BODY, DEFAULT_TITLE
from kapcare.consent.models import ConsentDocument, ConsentSignature, WithdrawalChannel
from kapcare.consent.selectors import current_document
from kapcare.consent.withdrawal import apply_effects
from kapcare.core.versioning import ensure_current, publish
from kapcare.courses.selectors import current_course
from kapcare.courses.services import advance_course


def text_sha256(document: ConsentDocument) -> str:
    """The hash of exactly what the signer is shown: title and body."""
    return hashlib.sha256(f"{document.title}\n\n{document.body}".encode()).hexdigest()


def _require_acting_for(actor: Actor, client) -> None:
    """Staff need access to the client; kapcare itself (a signing link) only acts at the
    client's own clinic."""
    if actor.clinic_id != client.clinic_id:
        raise PermissionDenied(_("You may not act for this client."))
    if actor.user is not None and not can(actor, ClientAction.VIEW, client):
        raise PermissionDenied(_("You may not act for this client."))


@transaction.atomic
def publish_document(
    *, clinic: Clinic, title: str, body: str, actor: Actor | None, only_if_first: bool = False
) -> ConsentDocument:
    """A new consent version. From now on, clients must sign it before their next dose.
    `actor=None` is kapcare itself (version 1 from the shipped text)."""

    def build(latest: ConsentDocument | None) -> ConsentDocument:
        errors = {}
        if not title.strip():
            errors["title"] = _("Give the document a title.")
        if len(body.strip()) < 200:
            errors["body"] = _("The consent text looks incomplete: it needs the full wording.")
        if errors:
            raise ValidationError(errors)
        return ConsentDocument(title=title.strip(), body=body.strip())

    return publish(
        ConsentDocument,
        clinic=clinic,
        actor=actor or Actor.system(clinic),
        roles=(Role.CLINIC_ADMIN,),
        refusal=_("Clinic admins publish consent documents."),
        build=build,
        only_if_first=only_if_first,
    )


def ensure_document(*, clinic: Clinic) -> ConsentDocument:
    """The clinic's current document; version 1 from the shipped text if it has none."""
    return ensure_current(
        ConsentDocument,
        clinic=clinic,
        publish_defaults=lambda: publish_document(
            clinic=clinic, title=DEFAULT_TITLE, body=DEFAULT_BODY, actor=None, only_if_first=True
        ),
    )


@transaction.atomic
def sign_consent(
    *,
    actor: Actor,
    client,
    document: ConsentDocument,
    typed_name: str,
    agreed: bool,
    shown_sha256: str,
    witnessed: bool = False,
) -> ConsentSignature:
    """Record the client's signature of `document`.

    `shown_sha256` is the hash of the text the form displayed; if the document changed
    since (or the form was forged) the signature is refused. The typed name must be the
    client's full name. `actor` is the staff member present, or kapcare for a link."""

    _require_acting_for(actor, client)
    errors = {}
    if not agreed:
        errors["agreed"] = _("Tick the box to show you agree.")
    # The message does not repeat the name: on a signing link it would tell whoever holds the
    # link who the client is. Staff see the registered name beside the field instead.
    if not typed_name_matches(typed_name, client.full_name):
        errors["typed_name"] = _("Type your full name exactly as the clinic has it.")
    if errors:
        raise ValidationError(errors)
    current = current_document(client.clinic_id)
    if current is None or current.pk != document.pk or shown_sha256 != text_sha256(document):
        raise ValidationError(
            _("The consent text has changed since this page was opened. Read the new version.")
        )
    signature = ConsentSignature.objects.create(
        clinic=client.clinic,
        client=client,
        document=document,
        typed_name=typed_name.strip(),
        agreed=True,
        text_sha256=text_sha256(document),
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        witnessed_by=actor.user if witnessed else None,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=client,
        obj=signature,
        summary=_("Consent version %(v)s signed") % {"v": document.version},
        details={"sha256": signature.text_sha256},
    )
    course = current_course(client)
    if course is not None:
        advance_course(actor=actor, course=course)
    return signature


# A reason in words, not a mark: the record must say why, for the care team and for audit.
MIN_WITHDRAWAL_REASON = 3


@transaction.atomic
def withdraw_consent(
    *, actor: Actor, client, requested_via: str, reason: str, confirmed: bool
) -> int:
    """Withdraw every standing signature at once; dosing is blocked from this moment.

    Needs who asked and how (`requested_via`, a WithdrawalChannel), the reason in words, and
    the recorder's explicit confirmation; anything missing is refused field by field and
    nothing changes. What a withdrawal does to a dosing session in progress is decided by the
    dosing app (kapcare.dosing.services.consent_withdrawal, registered through
    kapcare.consent.withdrawal) and happens in this same transaction. Returns how many
    signatures were withdrawn (0 when there was nothing to withdraw)."""
    _require_acting_for(actor, client)
    errors = {}
    if requested_via not in WithdrawalChannel.values:
        errors["requested_via"] = _("Say who asked to withdraw, and how.")
    if len(reason.strip()) < MIN_WITHDRAWAL_REASON:
        errors["reason"] = _("Give the reason, in the client's words where possible.")
    if not confirmed:
        errors["confirmed"] = _("Tick the box to confirm the withdrawal.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    standing = ConsentSignature.objects.select_for_update().filter(
        client=client, withdrawn_at__isnull=True
    )
    count = standing.update(
        withdrawn_at=now,
        withdrawal_reason=reason.strip(),
        withdrawal_requested_via=requested_via,
        withdrawal_recorded_by=actor.user,
    )
    if count:
        effects = apply_effects(actor, client, reason.strip())
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            client=client,
            object_type="consentsignature",
            summary=_("Consent withdrawn"),
            details={"reason": reason.strip(), "requested_via": requested_via, "effects": effects},
        )
    return count


@transaction.atomic
def sign_consent_through_link(
    *, token: str, actor: Actor, typed_name: str, agreed: bool, shown_sha256: str
) -> ConsentSignature:
    """The client signs through a single-use link. The link is locked, checked and spent in the
    same transaction as the signature, so it signs once; a refused signature leaves it usable.

    Raises Http404 for a reused, expired or forged token and DocumentOutOfDate when the link
    was made for a version that is no longer current. `actor` is kapcare itself carrying the
    request's address (Actor.system with ip_address and user_agent)."""
    link = usable_link_or_404(token, LinkPurpose.CONSENT, lock=True)
    document = link_document(link)
    if actor.user is not None or actor.clinic_id != link.clinic_id:
        raise PermissionDenied(_("A signing link is used by the client, not by staff."))
    signature = sign_consent(
        actor=actor,
        client=link.client,
        document=document,
        typed_name=typed_name,
        agreed=agreed,
        shown_sha256=shown_sha256,
        witnessed=False,
    )
    mark_used(link)
    return signature


class DocumentOutOfDate(Exception):
    """The link points at a consent version that the clinic has since replaced."""


def link_document(link) -> ConsentDocument:
    """The document a consent link was made for, if it is still the current version."""
    document = current_document(link.clinic_id)
    if document is None or document.pk != link.target_id:
        raise DocumentOutOfDate
    return document
