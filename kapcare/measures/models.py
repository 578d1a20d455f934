"""Measurement-based care: instrument definitions, schedules, responses and risk alerts.

For readers in other apps (outcomes, portal, reports, API), the stable names are:

InstrumentDefinition — one version of one questionnaire at one clinic (rows per clinic, so a
    clinic can load licensed item text and override parameters such as the PCL-5 cut-point).
    clinic, code ("phq9", "gad7", "pcl5", "ocir", "cssrs_screener", "cadss"; see InstrumentCode),
    version, title, definition (the validated JSON file: items, answer values, scoring, bands,
    subscales, alerts, licence, source), item_text ({item key: text} loaded under the clinic's
    licence), parameters ({name: value} clinic overrides of the file's defaults), origin
    (shipped/clinic), is_active (exactly one active version per clinic and code).

MeasureSettings — a clinic's schedule and alert settings (versioned: one row per version).

MeasureAssignment — one questionnaire due for one course at one timepoint.
    clinic, client, course, instrument_code, timepoint (Timepoint), slot (unique per course and
    instrument: "baseline", "pre_dose:<n>", "end", "follow_up:<months>"), dosing_session_id (for
    pre_dose), follow_up_months, available_from, due_by (dates, clinic-local; overdue when the
    clinic's today > due_by), status (AssignmentStatus), completed_at.

Response — one completed (or incomplete) questionnaire. Append-only: a database trigger refuses
    UPDATE and DELETE; scores are computed once, by kapcare.measures.scoring, when it is saved.
    clinic, client, course (nullable: ad-hoc measures outside a course), instrument (FK to the
    exact InstrumentDefinition version), instrument_code (copied, for aggregation across
    versions), assignment (nullable), timepoint (Timepoint; "ad_hoc" when not scheduled),
    answers ({item key: int value or null when left blank / not asked}),
    status (ResponseStatus: "complete" | "incomplete"),
    total (int or null: null whenever status is incomplete, and for instruments without a total
        such as the C-SSRS screener), prorated (bool: total prorated under the manual's rule),
    band / band_label (severity band key and label, "" where the manual defines none, e.g. PCL-5),
    subscales ({key: int or null}, e.g. PCL-5 "B".."E", OCI-R "hoarding".."obsessing" and
        "ocd_only"), flags ({key: bool}, e.g. "provisional_ptsd_dsm5",
        "provisional_ptsd_cutpoint", "probable_ocd_total"), risk_level (C-SSRS triage:
        "", "none", "low", "moderate", "high"), scoring_params (the parameter values used),
    completed_at, source (ResponseSource: "staff" | "link" | "portal" | "api"), entered_by (User;
        null for "link" and "portal").
    Outcome statistics should use status="complete" rows and `total`.

RiskAlert — a suicide-risk alert raised by a response (PHQ-9 item 9, positive C-SSRS).
    clinic, client, course, response, rule (the definition's alert key, e.g. "phq9_item9",
    "cssrs_positive"), level, summary, raised_at, escalate_after, acknowledged_at,
    acknowledged_by, action_taken, escalated_at. Open = acknowledged_at is null.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.core.versioning import VersionedSettings, unique_version
from kapcare.measures.rules import DEFAULT_FOLLOW_UP_MONTHS, DEFAULT_INSTRUMENTS


class InstrumentCode(models.TextChoices):
    """The instruments kapcare ships (FACTS.md §1). Clinics may add others by code."""

    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"
    PCL5 = "pcl5", "PCL-5"
    OCIR = "ocir", "OCI-R"
    CSSRS_SCREENER = "cssrs_screener", "C-SSRS screener"
    CADSS = "cadss", "CADSS"


class DefinitionOrigin(models.TextChoices):
    SHIPPED = "shipped", _("Shipped with kapcare")
    CLINIC = "clinic", _("Added by the clinic")


class InstrumentDefinition(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=40)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    # Item text loaded by the clinic under its own licence (FACTS.md §1.7), by item key.
    item_text = models.JSONField(default=dict, blank=True)
    item_text_loaded_at = models.DateTimeField(null=True, blank=True)
    item_text_loaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The clinic's overrides of the definition's declared parameters (e.g. PCL-5 cut-point).
    parameters = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=10, choices=DefinitionOrigin.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["code", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"], name="instrument_version_unique"
            ),
            models.UniqueConstraint(
                fields=["clinic", "code"],
                condition=models.Q(is_active=True),
                name="one_active_instrument_version",
            ),
            models.CheckConstraint(
                condition=models.Q(origin__in=DefinitionOrigin.values),
                name="instrument_origin_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def short_title(self) -> str:
        return self.definition.get("short_title") or self.title

    @property
    def ships_item_text(self) -> bool:
        return bool(self.definition.get("licence", {}).get("ships_item_text"))

    def text_for(self, key: str) -> str | None:
        """The item's text: shipped in the file, or loaded by the clinic; None if neither."""
        for item in self.definition["items"]:
            if item["key"] == key:
                return item.get("text") or self.item_text.get(key) or None
        return None

    @property
    def has_all_item_text(self) -> bool:
        return all(self.text_for(item["key"]) for item in self.definition["items"])


class MeasureSettings(VersionedSettings):
    """A clinic's measurement schedule and alert settings (defaults from the issue and FACTS).
    Versioned like every clinic setting: the escalation delay decides when a clinic admin hears
    of an unacknowledged risk alert, so each change stays on record as a new version."""

    # Which instruments each course condition gets at every timepoint.
    instruments_by_condition = models.JSONField()
    before_each_dose = models.BooleanField(_("before each dosing session"), default=True)
    end_of_course = models.BooleanField(_("at the end of the course"), default=True)
    follow_up_months = models.JSONField(_("follow-ups (months after the end)"), default=list)
    pre_dose_window_days = models.PositiveSmallIntegerField(
        _("pre-dose measures open (days before the session)"),
        default=3,
        validators=[MaxValueValidator(14)],
    )
    grace_days = models.PositiveSmallIntegerField(
        _("end and follow-up measures overdue after (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # FACTS.md §1.1/§8: a risk alert needs same-day clinician review; if nobody on the care team
    # acknowledges it within this delay, the clinic admin is told.
    escalation_delay_minutes = models.PositiveIntegerField(
        _("escalate an unacknowledged risk alert after (minutes)"),
        default=120,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    link_lifetime_hours = models.PositiveSmallIntegerField(
        _("questionnaire links expire after (hours)"),
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )

    settings_name = "measure settings"

    class Meta(VersionedSettings.Meta):
        verbose_name_plural = "measure settings"
        constraints = [unique_version("measure_settings_version_unique")]

    def __str__(self) -> str:
        return f"Measure settings v{self.version} for clinic {self.clinic_id}"

    @classmethod
    def shipped_defaults(cls, clinic_id: int):
        return cls(
            clinic_id=clinic_id,
            version=0,
            instruments_by_condition=DEFAULT_INSTRUMENTS,
            follow_up_months=list(DEFAULT_FOLLOW_UP_MONTHS),
        )


class Timepoint(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    PRE_DOSE = "pre_dose", _("Before dosing")
    END_OF_COURSE = "end", _("End of course")
    FOLLOW_UP = "follow_up", _("Follow-up")
    AD_HOC = "ad_hoc", _("Unscheduled")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class MeasureAssignment(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="measure_assignments"
    )
    course = models.ForeignKey(
        "courses.TreatmentCourse", on_delete=models.PROTECT, related_name="measure_assignments"
    )
    instrument_code = models.SlugField(max_length=40)
    timepoint = models.CharField(max_length=12, choices=Timepoint.choices)
    slot = models.CharField(max_length=30)
    # The dosing session a pre-dose slot is planned around, as an opaque id from
    # kapcare.measures.dose_plans (dosing sits above measures).
    dosing_session_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    follow_up_months = models.PositiveSmallIntegerField(null=True, blank=True)
    available_from = models.DateField()
    due_by = models.DateField()
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_by", "id"]
        indexes = [
            models.Index(fields=["clinic", "status", "due_by"], name="assignment_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument_code", "slot"], name="assignment_slot_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AssignmentStatus.values),
                name="assignment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(timepoint__in=Timepoint.values),
                name="assignment_timepoint_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(due_by__gte=models.F("available_from")),
                name="assignment_due_after_available",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(completed_at__isnull=False),
                name="completed_assignment_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} {self.slot}"

    def is_overdue(self, today) -> bool:
        return self.status == AssignmentStatus.PENDING and today > self.due_by


class ResponseStatus(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    INCOMPLETE = "incomplete", _("Incomplete (not scored)")


class ResponseSource(models.TextChoices):
    STAFF = "staff", _("Entered by staff")
    LINK = "link", _("Filled in through a link")
    PORTAL = "portal", _("Filled in on the portal")
    # Sent by another system (a measurement app, an EHR) through the FHIR API with a staff
    # member's token: that staff member is the one who entered it, as with STAFF.
    API = "api", _("Sent by another system")


# Sources where a signed-in staff member (or their API token) records the answers: they need
# permission to enter measures for the client, and they are the response's `entered_by`.
STAFF_ENTERED_SOURCES = (ResponseSource.STAFF, ResponseSource.API)


class RiskLevel(models.TextChoices):
    NONE = "none", _("No risk indicated")
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")


class Response(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="measure_responses"
    )
    course = models.ForeignKey(
        "courses.TreatmentCourse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measure_responses",
    )
    instrument = models.ForeignKey(
        InstrumentDefinition, on_delete=models.PROTECT, related_name="responses"
    )
    instrument_code = models.SlugField(max_length=40)
    assignment = models.ForeignKey(
        MeasureAssignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
    )
    timepoint = models.CharField(max_length=12, choices=Timepoint.choices)
    answers = models.JSONField()
    status = models.CharField(max_length=10, choices=ResponseStatus.choices)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    prorated = models.BooleanField(default=False)
    band = models.CharField(max_length=40, blank=True)
    band_label = models.CharField(max_length=80, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=dict, blank=True)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    scoring_params = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=ResponseSource.choices)
    entered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [
            models.Index(
                fields=["clinic", "instrument_code", "completed_at"], name="response_clinic_code"
            ),
            models.Index(
                fields=["client", "instrument_code", "completed_at"], name="response_client_code"
            ),
            # A course's scores on one instrument, newest first (ties by id): the outcomes
            # dashboard's window over responses reads this order instead of sorting.
            models.Index(
                fields=["course", "instrument_code", "-completed_at", "-id"],
                name="response_course_code_time",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ResponseStatus.values), name="response_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=ResponseSource.values), name="response_source_valid"
            ),
            # Never a silent wrong total: an incomplete response carries no total and no band.
            models.CheckConstraint(
                condition=models.Q(status="complete")
                | (models.Q(total__isnull=True) & models.Q(band="") & models.Q(prorated=False)),
                name="incomplete_response_unscored",
            ),
            models.CheckConstraint(
                condition=~models.Q(source__in=STAFF_ENTERED_SOURCES)
                | models.Q(entered_by__isnull=False),
                name="staff_response_has_author",
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(assignment__isnull=False),
                name="one_response_per_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} response {self.pk}"

    @property
    def is_complete(self) -> bool:
        return self.status == ResponseStatus.COMPLETE


class RiskAlert(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "courses.TreatmentCourse", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="alerts")
    rule = models.SlugField(max_length=40)
    level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    summary = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)
    escalate_after = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "acknowledged_at"], name="alert_clinic_open"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["response", "rule"], name="one_alert_per_rule"),
            # Acknowledging means saying what was done: who, when and the action, or none of them.
            models.CheckConstraint(
                condition=(
                    models.Q(acknowledged_at__isnull=True)
                    & models.Q(acknowledged_by__isnull=True)
                    & models.Q(action_taken="")
                )
                | (
                    models.Q(acknowledged_at__isnull=False)
                    & models.Q(acknowledged_by__isnull=False)
                    & ~models.Q(action_taken="")
                ),
                name="alert_acknowledged_with_action",
            ),
            models.CheckConstraint(
                condition=models.Q(escalate_after__gte=models.F("raised_at")),
                name="alert_escalates_after_raised",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk alert {self.pk} ({self.rule})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
