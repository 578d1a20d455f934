"""A client's treatment course, its status history, its protocol settings and clinical notes."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.clients.conditions import Condition
from kapcare.core.models import StatusChange
from kapcare.core.versioning import VersionedSettings, unique_version


class CourseStatus(models.TextChoices):
    SCREENING = "screening", _("Screening")
    AWAITING_CONSENT = "awaiting_consent", _("Awaiting consent")
    PREPARATION = "preparation", _("Preparation")
    ACTIVE = "active", _("Dosing and integration")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    DISCONTINUED = "discontinued", _("Discontinued")


class TreatmentCourse(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="courses")
    condition = models.CharField(_("primary condition"), max_length=12, choices=Condition.choices)
    status = models.CharField(max_length=20, choices=CourseStatus.choices, default="screening")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["clinic", "status"], name="course_clinic_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CourseStatus.values), name="course_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} course ({self.get_status_display()})"


class CourseStatusChange(StatusChange):
    """Every transition of a course: who, when, from what to what, and why."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=CourseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CourseStatus.choices)


class PreparationElement(models.TextChoices):
    PSYCHOEDUCATION = "psychoeducation", _("Psychoeducation about ketamine")
    INTENTIONS = "intentions", _("Intentions in the client's own words")
    CONCERNS = "concerns", _("Concerns and expectations")
    MINDFULNESS = "mindfulness", _("Mindfulness practice taught")
    SAFETY_PLAN = "safety_plan", _("Safety plan")
    RIDE_PLAN = "ride_plan", _("Escort and ride home")
    FASTING = "fasting", _("Fasting instructions")


def default_required_elements() -> list[str]:
    # FACTS.md §6.1: clinics require 1–3 preparation sessions; the default is one session
    # covering psychoeducation, intentions, a safety plan and the ride home.
    return ["psychoeducation", "intentions", "safety_plan", "ride_plan"]


class CareProtocol(VersionedSettings):
    """A clinic's pathway settings, versioned like the screening protocol (FACTS.md §6.1)."""

    min_preparation_sessions = models.PositiveSmallIntegerField(
        _("signed preparation sessions required"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    required_preparation_elements = models.JSONField(default=default_required_elements)
    integration_window_hours = models.PositiveSmallIntegerField(
        _("integration session due within (hours after dosing)"),
        default=72,  # FACTS.md §6.1: same day to within ~24–72 h
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )

    settings_name = "care protocol"

    class Meta(VersionedSettings.Meta):
        constraints = [unique_version("care_protocol_version_unique")]

    def __str__(self) -> str:
        return f"Care protocol v{self.version}"


class NoteKind(models.TextChoices):
    PREPARATION = "preparation", _("Preparation session")
    INTEGRATION = "integration", _("Integration session")
    PROGRESS = "progress", _("Progress note")
    PROCESS = "process", _("Psychotherapy process note")


class NoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class ClinicalNote(models.Model):
    """A session note. Drafts change freely; once signed the row is locked (a database trigger
    refuses UPDATE and DELETE of signed notes) and corrections are addenda.

    Structured answers (the preparation or integration prompts) live in `content`; a process
    note keeps everything in `encrypted_text` instead, readable only by its author and those
    it is shared with."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="notes")
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(max_length=12, choices=NoteKind.choices)
    session_date = models.DateField(_("session date"))
    # An opaque id (dosing sits above courses); create_note checks it against the course's
    # sessions through kapcare.courses.sessions.
    dosing_session_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text=_("For integration sessions: the dosing session this one follows."),
    )
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=6, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    content = models.JSONField(default=dict, blank=True)
    free_text = models.TextField(_("notes"), blank=True)
    encrypted_text = models.TextField(blank=True)
    shared_with = models.JSONField(default=list, blank=True)  # user ids, for process notes
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-session_date", "-id"]
        indexes = [
            models.Index(fields=["clinic", "course", "kind"], name="note_course_kind"),
            # "Drafts to sign" on a clinician's home page: their few drafts, not every note
            # they ever wrote (a partial index, on PostgreSQL and SQLite alike).
            models.Index(
                fields=["author", "clinic", "session_date", "id"],
                condition=models.Q(status="draft"),
                name="note_author_drafts",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | (models.Q(signed_at__isnull=False) & ~models.Q(content_sha256="")),
                name="signed_note_has_hash",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="integration") | models.Q(dosing_session_id__isnull=False),
                name="integration_note_follows_dosing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.session_date}"

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class NoteAddendum(models.Model):
    """Append-only: a correction or addition to a signed note."""

    note = models.ForeignKey(ClinicalNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    text_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Addendum to note {self.note_id}"


class NoteCosignature(models.Model):
    """Append-only: a supervisor's co-signature of a signed note (optional)."""

    note = models.ForeignKey(ClinicalNote, on_delete=models.PROTECT, related_name="cosignatures")
    cosigned_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    cosigned_at = models.DateTimeField(default=timezone.now)
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["cosigned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "cosigned_by"], name="one_cosign_per_user")
        ]

    def __str__(self) -> str:
        return f"Co-signature of note {self.note_id}"
