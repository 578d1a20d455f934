"""Clinical notes: preparation and integration notes written and signed by the client's
therapist, the signature's hash the real one (kapcare.courses.services.notes.note_payload), and now and
then a psychotherapy process note encrypted with the notes' own cipher."""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings

from kapcare.courses.crypto import _fernet
from kapcare.courses.models import ClinicalNote, NoteKind, NoteStatus
from kapcare.courses.rules import canonical_sha256
from kapcare.courses.services.notes import note_payload
from kapcare.home.synthetic.audit import AuditTrail
from kapcare.home.synthetic.clinics import ClinicSetup
from kapcare.home.synthetic.sink import Sink

INTEGRATION = {
    "insights": "Felt a sense of distance from old self-criticism.",
    "emotions": "Grief, then relief.",
    "body": "Heavy, then light.",
    "intentions_revisited": "Still about presence with family.",
    "daily_life_actions": "Morning walk; one call to a friend a week.",
}


class Notes:
    def __init__(self, setup: ClinicSetup, sink: Sink, trail: AuditTrail, rng: random.Random):
        self.setup, self.sink, self.trail, self.rng = setup, sink, trail, rng
        # Without a notes key there are no process notes (the app refuses to write them too).
        self.fernet = _fernet() if settings.KAPCARE_NOTE_KEY else None

    def note(self, story, made, kind, at, content, *, signed=True, session_id=None) -> None:
        """A note written and (usually) signed by the client's therapist; the signature's hash
        is the real one (kapcare.courses.services.notes.note_payload)."""
        setup = self.setup
        encrypted = ""
        if kind == NoteKind.PROCESS:
            content = {}
            encrypted = self._encrypt(
                "Process note: themes of control and grief; "
                "the client's own words kept for integration."
            )
        note = ClinicalNote(
            pk=self.sink.table(ClinicalNote).allocate(),
            clinic_id=setup.clinic.pk,
            client_id=made.client_id,
            course_id=made.course_id,
            kind=kind,
            session_date=at.date(),
            dosing_session_id=session_id,
            author_id=made.therapist.id,
            status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
            content=content,
            free_text="",
            encrypted_text=encrypted,
            shared_with=[],
        )
        sha = canonical_sha256(note_payload(note)) if signed else ""
        self.sink.add(
            ClinicalNote,
            pk=note.pk,
            clinic_id=note.clinic_id,
            client_id=note.client_id,
            course_id=note.course_id,
            kind=kind,
            session_date=note.session_date,
            dosing_session_id=session_id,
            author_id=note.author_id,
            status=note.status,
            content=content,
            free_text="",
            encrypted_text=encrypted,
            shared_with=[],
            created_at=at - dt.timedelta(hours=1),
            updated_at=at,
            signed_at=at if signed else None,
            signed_by_id=made.therapist.id if signed else None,
            content_sha256=sha,
        )
        label = dict(NoteKind.choices)[kind].lower()
        # One event per note keeps the trail near ten events a client: its signing, or for a
        # draft its creation.
        if not signed:
            self.trail.created(
                at - dt.timedelta(hours=1),
                made.therapist.id,
                "clinicalnote",
                note.pk,
                f"Started a {label} note",
                made.client_id,
            )
        else:
            self.trail.add(
                at,
                made.therapist.id,
                "update",
                "clinicalnote",
                note.pk,
                f"Signed a {label} note",
                made.client_id,
                {"sha256": sha},
            )

    def integration_note(self, story, made, at, session_id) -> None:
        self.note(story, made, NoteKind.INTEGRATION, at, INTEGRATION, session_id=session_id)
        if self.fernet is not None and self.rng.random() < 0.1:
            self.note(story, made, NoteKind.PROCESS, at, {})

    def _encrypt(self, text: str) -> str:
        # The notes' own key and cipher (kapcare.courses.crypto); the IV and timestamp come
        # from the seeded generator instead of the clock, so a seed gives the same rows.
        assert self.fernet is not None
        iv = bytes(self.rng.getrandbits(8) for _ in range(16))
        return self.fernet._encrypt_from_parts(text.encode(), 1_700_000_000, iv).decode("ascii")
