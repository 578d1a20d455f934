"""Representations of courses, measures, alerts, dosing sessions and the ledger on /api/v1/.
All read-only: writes are parsed by the small input serializers at the end and made by the
domain's services."""

from __future__ import annotations

from rest_framework import serializers

from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession
from kapcare.ledger.models import LedgerEntry
from kapcare.measures.models import (
    InstrumentDefinition,
    MeasureAssignment,
    Response,
    RiskAlert,
    RiskLevel,
)


def _read_only(model, names):
    """A ModelSerializer Meta whose every field is read-only."""
    return type("Meta", (), {"model": model, "fields": names, "read_only_fields": names})


class CourseSerializer(serializers.ModelSerializer):
    Meta = _read_only(
        TreatmentCourse, ["id", "client", "condition", "status", "opened_at", "closed_at"]
    )


class InstrumentDefinitionSerializer(serializers.ModelSerializer):
    definition = serializers.JSONField(
        read_only=True, help_text="Items, answer options and scoring, as the clinic uses them."
    )

    Meta = _read_only(
        InstrumentDefinition,
        ["id", "code", "version", "title", "origin", "created_at", "definition"],
    )


class MeasureAssignmentSerializer(serializers.ModelSerializer):
    Meta = _read_only(
        MeasureAssignment,
        [
            "id",
            "client",
            "course",
            "instrument_code",
            "timepoint",
            "slot",
            "available_from",
            "due_by",
            "status",
            "completed_at",
        ],
    )


class ResponseSerializer(serializers.ModelSerializer):
    answers = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        read_only=True,
        help_text="The score chosen for each item, by item key (null: left blank).",
    )
    subscales = serializers.JSONField(read_only=True)
    flags = serializers.JSONField(read_only=True)
    # Blank when the instrument rates no risk: the schema must say so.
    risk_level = serializers.ChoiceField(RiskLevel.choices, allow_blank=True, read_only=True)

    Meta = _read_only(
        Response,
        [
            "id",
            "client",
            "course",
            "instrument",
            "instrument_code",
            "assignment",
            "timepoint",
            "answers",
            "status",
            "total",
            "prorated",
            "band",
            "band_label",
            "subscales",
            "flags",
            "risk_level",
            "completed_at",
            "source",
            "entered_by",
            "created_at",
        ],
    )


class RiskAlertSerializer(serializers.ModelSerializer):
    is_open = serializers.SerializerMethodField()
    level = serializers.ChoiceField(RiskLevel.choices, allow_blank=True, read_only=True)

    Meta = _read_only(
        RiskAlert,
        [
            "id",
            "client",
            "course",
            "response",
            "rule",
            "level",
            "summary",
            "raised_at",
            "escalate_after",
            "escalated_at",
            "acknowledged_at",
            "acknowledged_by",
            "action_taken",
            "is_open",
        ],
    )

    def get_is_open(self, alert: RiskAlert) -> bool:
        return alert.acknowledged_at is None


class DosingSessionSerializer(serializers.ModelSerializer):
    Meta = _read_only(
        DosingSession,
        [
            "id",
            "client",
            "course",
            "number",
            "scheduled_for",
            "status",
            "checked_in_at",
            "dose_started_at",
            "dose_ended_at",
            "discharged_at",
            "aborted_at",
            "abort_reason",
        ],
    )


class LedgerEntrySerializer(serializers.ModelSerializer):
    product = serializers.IntegerField(source="lot.product_id", read_only=True, allow_null=True)
    product_name = serializers.CharField(source="lot.product.name", read_only=True, default="")
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True, default="")
    location_name = serializers.CharField(source="location.name", read_only=True, default="")

    Meta = _read_only(
        LedgerEntry,
        [
            "id",
            "sequence",
            "kind",
            "product",
            "product_name",
            "lot",
            "lot_number",
            "location",
            "location_name",
            "counterpart_location",
            "quantity_mg",
            "quantity_units",
            "volume_ml",
            "balance_after_mg",
            "occurred_at",
            "recorded_at",
            "actor_label",
            "witness_label",
            "client",
            "dosing_session_id",
            "reason",
        ],
    )


class ResponseInput(serializers.Serializer):
    """A questionnaire response entered through the API, as staff enter it in the clinic."""

    client = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    instrument = serializers.SlugField(
        max_length=40, help_text="The instrument's code, e.g. phq9 (its active version is used)."
    )
    answers = serializers.DictField(
        child=serializers.IntegerField(allow_null=True, min_value=-(2**31), max_value=2**31 - 1),
        help_text="The score chosen for each item, by item key; null or absent: left blank.",
    )
    completed_at = serializers.DateTimeField(
        required=False, help_text="When the client answered (default: now)."
    )


class AcknowledgeInput(serializers.Serializer):
    action_taken = serializers.CharField(
        max_length=2000, allow_blank=True, help_text="What was done about the alert."
    )
