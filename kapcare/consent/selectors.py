"""Reads of consent documents and signatures, and whether consent is valid right now."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from kapcare.consent.models import ConsentDocument, ConsentSignature
from kapcare.core.versioning import latest


def current_document(clinic_id: int) -> ConsentDocument | None:
    """The latest published version; None before the first (see kapcare.core.versioning)."""
    return latest(ConsentDocument, clinic_id)


def latest_signature(client) -> ConsentSignature | None:
    return (
        ConsentSignature.objects.filter(client=client)
        .select_related("document")
        .order_by("-signed_at", "-id")
        .first()
    )


def consent_problem(client, at: dt.datetime) -> str | None:
    """Why the client's consent does not cover dosing at `at`, or None when it does: signed,
    for the clinic's current document version, and not withdrawn."""
    document = current_document(client.clinic_id)
    if document is None:
        return _("The clinic has not published a consent document.")
    signature = latest_signature(client)
    if signature is None or signature.signed_at > at:
        return _("The client has not signed the consent.")
    if signature.withdrawn_at is not None and signature.withdrawn_at <= at:
        return _("The client withdrew consent on %(day)s.") % {
            "day": signature.withdrawn_at.date().isoformat()
        }
    if signature.document_id != document.pk:
        return _(
            "The client signed version %(old)s; version %(new)s is now current and must be signed."
        ) % {"old": signature.document.version, "new": document.version}
    return None


def signature_history(client) -> list[ConsentSignature]:
    """Every signature the client made, newest first, with who witnessed and who withdrew it."""
    return list(
        ConsentSignature.objects.filter(client=client)
        .select_related("document", "witnessed_by", "withdrawal_recorded_by")
        .order_by("-signed_at", "-id")
    )


def document_versions(clinic_id: int) -> list[ConsentDocument]:
    return list(
        ConsentDocument.objects.filter(clinic_id=clinic_id)
        .select_related("published_by")
        .order_by("-version")
    )


def document_version(clinic_id: int, version: int) -> ConsentDocument | None:
    return (
        ConsentDocument.objects.filter(clinic_id=clinic_id, version=version)
        .select_related("published_by")
        .first()
    )
