"""REST endpoints for a client's clinical record: courses, measures (definitions, assignments,
responses), risk alerts and dosing sessions. Clinical data only for clients the token's user
may see clinically (kapcare.clients.permissions); writes through the domain's services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kapcare.api import scopes
from kapcare.api.auth import api_access
from kapcare.api.clinical_serializers import (
    AcknowledgeInput,
    CourseSerializer,
    DosingSessionSerializer,
    InstrumentDefinitionSerializer,
    MeasureAssignmentSerializer,
    ResponseInput,
    ResponseSerializer,
    RiskAlertSerializer,
)
from kapcare.api.mixins import ClientFilter, ClinicalMixin, DateRangeFilter, within_days
from kapcare.courses.models import CourseStatus, TreatmentCourse
from kapcare.dosing.models.status import DosingStatus
from kapcare.dosing.permissions import sessions_visible_to
from kapcare.measures import services as measure_services
from kapcare.measures.models import (
    AssignmentStatus,
    MeasureAssignment,
    ResponseSource,
    RiskAlert,
)
from kapcare.measures.models import Response as MeasureResponse
from kapcare.measures.selectors import clinic_definitions
from kapcare.measures.services.alerts import acknowledge_alert

ReadOnly = (mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet)


class CourseFilter(ClientFilter):
    status = serializers.ChoiceField(choices=CourseStatus.choices, required=False)


@extend_schema(tags=["courses"])
@extend_schema_view(list=extend_schema(parameters=[CourseFilter]))
class CourseViewSet(ClinicalMixin, *ReadOnly):
    """Treatment courses."""

    scope_resource = scopes.EPISODE_OF_CARE
    serializer_class = CourseSerializer
    filter_serializer = CourseFilter
    audit_type = "api.course"
    audit_label = "treatment course"

    def get_queryset(self):
        filters = self.filters()
        courses = self.for_clients(
            TreatmentCourse.objects.filter(clinic=self.actor.clinic), filters
        )
        return courses.filter(**filters)


@extend_schema(tags=["measures"])
class InstrumentDefinitionViewSet(*ReadOnly):
    """The questionnaires in use at the clinic (each code's active version). They name no
    client, so reading them is not audited."""

    scope_resource = scopes.QUESTIONNAIRE
    serializer_class = InstrumentDefinitionSerializer

    def get_queryset(self):
        actor = api_access(self.request).actor
        return clinic_definitions(actor.clinic_id).filter(is_active=True)


class AssignmentFilter(ClientFilter):
    status = serializers.ChoiceField(choices=AssignmentStatus.choices, required=False)


@extend_schema(tags=["measures"])
@extend_schema_view(list=extend_schema(parameters=[AssignmentFilter]))
class MeasureAssignmentViewSet(ClinicalMixin, *ReadOnly):
    """Questionnaires a client is due to complete (the schedule, and ad-hoc requests)."""

    scope_resource = scopes.SERVICE_REQUEST
    serializer_class = MeasureAssignmentSerializer
    filter_serializer = AssignmentFilter
    audit_type = "api.measure_assignment"
    audit_label = "measure assignment"

    def get_queryset(self):
        filters = self.filters()
        rows = MeasureAssignment.objects.filter(clinic=self.actor.clinic)
        return self.for_clients(rows, filters).filter(**filters)


class ResponseFilter(ClientFilter, DateRangeFilter):
    instrument = serializers.SlugField(
        required=False, max_length=40, help_text="The instrument's code, e.g. phq9."
    )


@extend_schema(tags=["measures"])
@extend_schema_view(
    list=extend_schema(parameters=[ResponseFilter]),
    create=extend_schema(request=ResponseInput, responses={201: ResponseSerializer}),
)
class ResponseViewSet(ClinicalMixin, mixins.CreateModelMixin, *ReadOnly):
    """Questionnaire responses, scored. Recording one goes through the clinic's own service:
    the same permission, scoring, validation and risk alerts (a PHQ-9 with item 9 ≥ 1 raises
    one), marked as sent by another system."""

    scope_resource = scopes.QUESTIONNAIRE_RESPONSE
    serializer_class = ResponseSerializer
    filter_serializer = ResponseFilter
    audit_type = "api.response"
    audit_label = "questionnaire response"

    def get_queryset(self):
        filters = self.filters()
        rows = self.for_clients(MeasureResponse.objects.filter(clinic=self.actor.clinic), filters)
        if "instrument" in filters:
            rows = rows.filter(instrument_code=filters["instrument"])
        return within_days(
            rows,
            "completed_at",
            self.actor.clinic,
            filters.get("date_from"),
            filters.get("date_to"),
        )

    def create(self, request, *args, **kwargs):
        data = ResponseInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = data.validated_data
        client = self.one_client(entry["client"])
        definition = measure_services.active_definition(client.clinic_id, entry["instrument"])
        if definition is None:
            raise DjangoValidationError(
                {"instrument": _("No questionnaire with this code is in use at the clinic.")}
            )
        response = measure_services.record_response(
            actor=self.actor,
            client=client,
            definition=definition,
            answers=entry["answers"],
            # Sent by another system with a staff member's token, as through FHIR: the same
            # permission as entry in the clinic, and the record says where it came from.
            source=ResponseSource.API,
            completed_at=entry.get("completed_at"),
        )
        return Response(ResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class AlertFilter(ClientFilter):
    open = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only alerts not yet acknowledged; false: only acknowledged ones.",
    )


@extend_schema(tags=["risk alerts"])
@extend_schema_view(
    list=extend_schema(parameters=[AlertFilter]),
    acknowledge=extend_schema(request=AcknowledgeInput, responses={200: RiskAlertSerializer}),
)
class RiskAlertViewSet(ClinicalMixin, *ReadOnly):
    """Suicide-risk alerts raised by responses. Acknowledging one (saying what was done) is a
    clinician's on the client's care team, as on the alert's page; it needs Flag.u."""

    scope_resource = scopes.FLAG
    scope_letters = {"acknowledge": "u"}
    serializer_class = RiskAlertSerializer
    filter_serializer = AlertFilter
    audit_type = "api.risk_alert"
    audit_label = "risk alert"

    def get_queryset(self):
        filters = self.filters()
        alerts = self.for_clients(RiskAlert.objects.filter(clinic=self.actor.clinic), filters)
        if "open" in filters:
            alerts = alerts.filter(acknowledged_at__isnull=filters["open"])
        return alerts

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = self.get_object()
        data = AcknowledgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        alert = acknowledge_alert(
            actor=self.actor, alert=alert, action_taken=data.validated_data["action_taken"]
        )
        return Response(RiskAlertSerializer(alert).data)


class SessionFilter(ClientFilter, DateRangeFilter):
    status = serializers.ChoiceField(choices=DosingStatus.choices, required=False)


@extend_schema(tags=["dosing"])
@extend_schema_view(list=extend_schema(parameters=[SessionFilter]))
class DosingSessionViewSet(ClinicalMixin, *ReadOnly):
    """Dosing sessions (read only), as on the client's dosing tab. Dates are the scheduled day."""

    scope_resource = scopes.ENCOUNTER
    serializer_class = DosingSessionSerializer
    filter_serializer = SessionFilter
    audit_type = "api.dosing_session"
    audit_label = "dosing session"

    def get_queryset(self):
        filters = self.filters()
        sessions = self.for_clients(sessions_visible_to(self.actor), filters)
        if "status" in filters:
            sessions = sessions.filter(status=filters["status"])
        return within_days(
            sessions,
            "scheduled_for",
            self.actor.clinic,
            filters.get("date_from"),
            filters.get("date_to"),
        )
