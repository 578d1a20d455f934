"""Writes to clinical notes: drafts, signing (locks the note), addenda and co-signatures.

A signed note never changes: the service refuses, and a database trigger refuses raw SQL too
(kapcare.audit.append_only). Its SHA-256 is stored at signing so any later copy can be checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.courses.crypto import encrypt_text
from kapcare.courses.dosing_sessions import sessions_of_course
from kapcare.courses.models import (
    ClinicalNote,
    NoteAddendum,
    NoteCosignature,
    NoteKind,
    NoteStatus,
    TreatmentCourse,
)
from kapcare.courses.permissions import can_cosign_note, can_read_note, can_write_session_note
from kapcare.courses.rules import canonical_sha256
from kapcare.courses.services import advance_course


def note_payload(note: ClinicalNote) -> dict[str, Any]:
    """What a signature covers: who, when, for which client and session, and every answer."""
    return {
        "note_id": note.pk,
        "client_id": note.client_id,
        "course_id": note.course_id,
        "kind": note.kind,
        "session_date": note.session_date.isoformat(),
        "dosing_session_id": note.dosing_session_id,
        "author_id": note.author_id,
        "content": note.content,
        "free_text": note.free_text,
        "encrypted_text": note.encrypted_text,
    }


def _audit(
    actor: Actor,
    note: ClinicalNote,
    action: AuditAction,
    summary: str,
    *,
    obj: NoteAddendum | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Every change to a note is audited against the note's client; an addendum is its own
    record, so its row names the addendum."""
    record_event(
        actor=actor,
        action=action,
        client=note.client,
        obj=obj or note,
        summary=summary,
        details=details,
    )


def _check_session_date(session_date: dt.date, clinic) -> None:
    if session_date > clinic.today():
        raise ValidationError({"session_date": _("A session date cannot be in the future.")})


@transaction.atomic
def create_note(
    *,
    actor: Actor,
    course: TreatmentCourse,
    kind: str,
    session_date: dt.date,
    content: dict[str, Any] | None = None,
    free_text: str = "",
    dosing_session_id: int | None = None,
    process_text: str = "",
) -> ClinicalNote:
    """A draft note by the actor. Integration notes name the dosing session they follow: one
    of the course's sessions, as the dosing app's directory lists them."""
    if not can_write_session_note(actor, course.client):
        raise PermissionDenied(
            _("Only a therapist on the client's care team writes session notes.")
        )
    _check_session_date(session_date, course.clinic)
    if kind == NoteKind.INTEGRATION:
        if dosing_session_id is None or dosing_session_id not in {
            s.id for s in sessions_of_course(course.pk)
        }:
            raise ValidationError(
                {"dosing_session": _("Choose the dosing session this one follows.")}
            )
    elif dosing_session_id is not None:
        raise ValidationError(
            {"dosing_session": _("Only integration notes follow a dosing session.")}
        )
    note = ClinicalNote.objects.create(
        clinic=course.clinic,
        client=course.client,
        course=course,
        kind=kind,
        session_date=session_date,
        dosing_session_id=dosing_session_id,
        author=staff_user(actor),
        content={} if kind == NoteKind.PROCESS else (content or {}),
        free_text="" if kind == NoteKind.PROCESS else free_text,
        encrypted_text=encrypt_text(process_text) if kind == NoteKind.PROCESS else "",
    )
    _audit(
        actor,
        note,
        AuditAction.CREATE,
        _("Started a %(kind)s note") % {"kind": note.get_kind_display().lower()},
    )
    return note


def _locked_draft(actor: Actor, note: ClinicalNote) -> ClinicalNote:
    locked = ClinicalNote.objects.select_for_update().get(pk=note.pk)
    if locked.status == NoteStatus.SIGNED:
        raise ValidationError(_("This note is signed and cannot change. Add an addendum instead."))
    if locked.author_id != staff_user(actor).pk:
        raise PermissionDenied(_("Only the note's author edits or signs a draft."))
    return locked


@transaction.atomic
def update_draft(
    *,
    actor: Actor,
    note: ClinicalNote,
    session_date: dt.date,
    content: dict[str, Any] | None = None,
    free_text: str = "",
    process_text: str | None = None,
    shared_with: list[int] | None = None,
) -> ClinicalNote:
    locked = _locked_draft(actor, note)
    _check_session_date(session_date, locked.clinic)
    locked.session_date = session_date
    if locked.kind == NoteKind.PROCESS:
        if process_text is not None:
            locked.encrypted_text = encrypt_text(process_text)
        if shared_with is not None:
            locked.shared_with = sorted(set(shared_with) - {staff_user(actor).pk})
    else:
        locked.content = content or {}
        locked.free_text = free_text
    locked.updated_at = timezone.now()
    locked.save()
    _audit(actor, locked, AuditAction.UPDATE, _("Edited a draft note"))
    return locked


@transaction.atomic
def sign_note(*, actor: Actor, note: ClinicalNote) -> ClinicalNote:
    """Lock the note under its author's signature and store its hash. Signing a preparation
    note may complete preparation, which moves the course forward (courses.services)."""

    locked = _locked_draft(actor, note)
    locked.status = NoteStatus.SIGNED
    locked.signed_at = timezone.now()
    locked.signed_by = staff_user(actor)
    locked.content_sha256 = canonical_sha256(note_payload(locked))
    locked.save()
    _audit(
        actor,
        locked,
        AuditAction.UPDATE,
        _("Signed a %(kind)s note") % {"kind": locked.get_kind_display().lower()},
        details={"sha256": locked.content_sha256},
    )
    if locked.kind == NoteKind.PREPARATION:
        advance_course(actor=actor, course=locked.course)
    return locked


@transaction.atomic
def add_addendum(*, actor: Actor, note: ClinicalNote, text: str) -> NoteAddendum:
    if not text.strip():
        raise ValidationError({"text": _("Write the addendum first.")})
    if not can_read_note(actor, note):
        raise PermissionDenied(_("You may not add to this note."))
    if not note.is_signed:
        raise ValidationError(_("Addenda are for signed notes; edit the draft instead."))
    created = timezone.now()
    addendum = NoteAddendum.objects.create(
        note=note,
        author=staff_user(actor),
        text=text.strip(),
        created_at=created,
        text_sha256=hashlib.sha256(
            f"{note.content_sha256}|{staff_user(actor).pk}|{created.isoformat()}|{text.strip()}".encode()
        ).hexdigest(),
    )
    _audit(actor, note, AuditAction.CREATE, _("Added an addendum to a signed note"), obj=addendum)
    return addendum


@transaction.atomic
def cosign_note(*, actor: Actor, note: ClinicalNote) -> NoteCosignature:
    if not note.is_signed:
        raise ValidationError(_("Only a signed note can be co-signed."))
    if not can_cosign_note(actor, note):
        raise PermissionDenied(_("A co-signer is another clinician on the client's care team."))
    if note.cosignatures.filter(cosigned_by=staff_user(actor)).exists():
        raise ValidationError(_("You have already co-signed this note."))
    cosignature = NoteCosignature.objects.create(
        note=note, cosigned_by=staff_user(actor), content_sha256=note.content_sha256
    )
    _audit(actor, note, AuditAction.UPDATE, _("Co-signed a note"))
    return cosignature
