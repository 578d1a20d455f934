"""What the calendar stores.

An Appointment is one booking of one client for one AppointmentType. It holds every person and
resource it needs through Hold rows (one per holder, covering the appointment plus the type's
buffers); an active hold may not overlap another active hold of the same holder. PostgreSQL
guarantees that with an exclusion constraint (migration 0002); the booking service also locks the
holders' rows first, so the refusal can name the conflicting appointment. On SQLite every write
transaction is IMMEDIATE (settings.py), which serialises bookings.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.core.models import StatusChange
from kapcare.core.versioning import VersionedSettings, unique_version
from kapcare.dosing.models import Route


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    PRESCRIBER_EVALUATION = "prescriber_evaluation", _("Prescriber evaluation")
    PREPARATION = "preparation", _("Preparation")
    DOSING = "dosing", _("Dosing")
    INTEGRATION = "integration", _("Integration")
    FOLLOW_UP = "follow_up", _("Follow-up")


class ResourceKind(models.TextChoices):
    ROOM = "room", _("Room")
    RECLINER = "recliner", _("Recliner")
    MONITOR = "monitor", _("Monitor")
    INFUSION_PUMP = "infusion_pump", _("Infusion pump")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    ARRIVED = "arrived", _("Arrived")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    LATE_CANCELLED = "late_cancelled", _("Late cancellation")
    NO_SHOW = "no_show", _("No-show")


class AppointmentType(models.Model):
    """What can be booked. `required_roles` lists one role per person needed (a dosing session
    needs a prescriber, a therapist and a nurse: three entries); `required_resources` one
    resource kind per resource. A dosing type's length covers the route's minimum observation
    time from the dosing protocol (rules.dosing_length_error)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=30, choices=AppointmentKind.choices)
    route = models.CharField(_("route"), max_length=20, choices=Route.choices, blank=True)
    telehealth = models.BooleanField(_("telehealth"), default=False)
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(12 * 60)]
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        _("buffer before (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    required_roles = models.JSONField(_("people needed (roles)"), default=list, blank=True)
    required_resources = models.JSONField(_("resources needed"), default=list, blank=True)
    counts_toward_plan = models.BooleanField(_("counts toward the course plan"), default=False)
    active = models.BooleanField(_("bookable"), default=True)

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="appointment_type_code_unique"),
            models.CheckConstraint(
                condition=~Q(kind="dosing") | ~Q(route=""), name="appointment_type_dosing_route"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """A room, recliner, monitor or infusion pump that a booking holds."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ResourceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("in service"), default=True)

    class Meta:
        ordering = ["clinic", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="resource_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


def _one_subject(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(Q(user__isnull=False) & Q(resource__isnull=True))
        | (Q(user__isnull=True) & Q(resource__isnull=False)),
        name=f"{prefix}_user_or_resource",
    )


class WeeklyHours(models.Model):
    """When a clinician works, or a resource may be booked, each week (in the clinic's time
    zone). A clinician with no hours on a weekday is not bookable that day; a resource with no
    hours at all is bookable whenever the people are."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="weekly_hours"
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MaxValueValidator(6)], help_text=_("0 is Monday.")
    )
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            _one_subject("weekly_hours"),
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="weekly_hours_order"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_hours_weekday"),
        ]
        indexes = [models.Index(fields=["clinic", "weekday"], name="weekly_hours_clinic_day")]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts:%H:%M}–{self.ends:%H:%M}"


class AvailabilityException(models.Model):
    """A one-off change: leave or an out-of-service resource (`available` false), extra hours
    (`available` true), or — with neither user nor resource — a clinic closure."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="exceptions"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    available = models.BooleanField(_("extra hours"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="availability_exception_order"
            ),
            models.CheckConstraint(
                condition=~(Q(user__isnull=False) & Q(resource__isnull=False)),
                name="availability_exception_one_subject",
            ),
            # Extra hours belong to someone or something; a closure is never "extra".
            models.CheckConstraint(
                condition=Q(available=False) | Q(user__isnull=False) | Q(resource__isnull=False),
                name="availability_exception_closure_unavailable",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="availability_exc_clinic_time"),
        ]

    def __str__(self) -> str:
        return self.reason or f"{self.starts_at:%Y-%m-%d %H:%M}"


class Appointment(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    course = models.ForeignKey(
        "courses.TreatmentCourse", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The dosing session this appointment books (dosing appointments only): the chair's record.
    dosing_session = models.OneToOneField(
        "dosing.DosingSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointment",
    )
    # For an integration appointment: the dosing appointment it follows (the course planner).
    follows = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followed_by"
    )
    telehealth = models.BooleanField(_("telehealth"), default=False)
    note = models.CharField(_("note for the front desk"), max_length=500, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=500, blank=True)
    booked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped by every change (reschedule, status): reminders and feeds key on it.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_order"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_time"),
            models.Index(fields=["client", "starts_at"], name="appointment_client_time"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} {self.starts_at:%Y-%m-%d %H:%M}"


class Hold(models.Model):
    """One holder's claim on a stretch of time for an appointment: a member of staff (in the
    role they fill), a resource, or the client. `starts_at`/`ends_at` include the type's
    buffers. A cancelled or missed appointment's holds become inactive and free the time."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="holds")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, blank=True)
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["appointment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, resource__isnull=True, client__isnull=True)
                    | Q(user__isnull=True, resource__isnull=False, client__isnull=True)
                    | Q(user__isnull=True, resource__isnull=True, client__isnull=False)
                ),
                name="hold_one_holder",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="hold_order"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "starts_at"], name="hold_user_time", condition=Q(active=True)
            ),
            models.Index(
                fields=["resource", "starts_at"],
                name="hold_resource_time",
                condition=Q(active=True),
            ),
            models.Index(
                fields=["client", "starts_at"], name="hold_client_time", condition=Q(active=True)
            ),
            models.Index(fields=["clinic", "starts_at"], name="hold_clinic_time"),
        ]

    def __str__(self) -> str:
        return f"Hold {self.pk} of appointment {self.appointment_id}"


class AppointmentStatusChange(StatusChange):
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(max_length=20, choices=AppointmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AppointmentStatus.choices)


def default_reminder_hours() -> list[int]:
    # The default: a day and two hours before (the usual reminder cadence of peers).
    return [24, 2]


class SchedulingSettings(VersionedSettings):
    """A clinic's calendar settings, versioned like its other protocols."""

    reminder_hours = models.JSONField(
        _("appointment reminders (hours before)"), default=default_reminder_hours
    )
    preparation_reminder_hours = models.PositiveSmallIntegerField(
        _("preparation instructions before dosing (hours before)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )
    # FACTS.md §4.5: aftercare says no driving until the next day; the ride home is arranged
    # before the session, so the instructions go out two days ahead.
    preparation_instructions = models.TextField(
        _("preparation instructions"),
        default=(
            "Please do not eat for 4 hours or drink for 2 hours before your session. "
            "Arrange for someone to drive you home: you may not drive until the next day."
        ),
    )
    late_cancel_hours = models.PositiveSmallIntegerField(
        _("cancellations later than this are late (hours before)"),
        default=24,
        validators=[MaxValueValidator(24 * 7)],
    )
    feed_shows_initials = models.BooleanField(
        _("calendar feeds show clients' initials"), default=False
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        _("offer start times every (minutes)"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
    )
    search_days = models.PositiveSmallIntegerField(
        _("look for a free time up to (days ahead)"),
        default=42,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )

    settings_name = "scheduling settings"

    class Meta(VersionedSettings.Meta):
        constraints = [unique_version("scheduling_settings_version_unique")]

    def __str__(self) -> str:
        return f"Scheduling settings v{self.version}"


class ReminderKind(models.TextChoices):
    APPOINTMENT = "appointment", _("Appointment reminder")
    PREPARATION = "preparation", _("Preparation instructions")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire due")


class ReminderChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Not sent: the appointment changed")
    SKIPPED = "skipped", _("Not sent: no way to reach the client")


class Reminder(models.Model):
    """One message to a client, due at a time. A reschedule cancels the pending ones and queues
    new ones for the new time (the appointment's `revision` they were made for is kept), so a
    message goes out once and never for a time that no longer holds."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    appointment_revision = models.PositiveIntegerField(default=0)
    # A questionnaire-due reminder names its measure assignment (kapcare.measures), opaque here.
    measure_assignment_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"], name="reminder_pending_due", condition=Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder due {self.due_at:%Y-%m-%d %H:%M}"


class ReminderPreference(models.Model):
    """How a client wants reminders: by e-mail, text or not at all."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="reminder_preference"
    )
    channel = models.CharField(
        _("send reminders by"),
        max_length=10,
        choices=ReminderChannel.choices,
        default=ReminderChannel.EMAIL,
    )
    opted_out = models.BooleanField(_("no reminders"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "no reminders" if self.opted_out else self.channel


class CalendarFeed(models.Model):
    """A clinician's private ICS feed. The secret is in the URL; only its hash is stored, so a
    leaked database does not leak feeds. Revoking it ends the URL."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed {self.prefix}…"
