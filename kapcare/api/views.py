"""REST endpoints for clients and their care teams: parse, authorise (scope + the UI's
permission rules), call the same services as the UI's pages, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from kapcare.accounts.selectors import clinic_staff
from kapcare.api import scopes
from kapcare.api.errors import edge_error
from kapcare.api.mixins import AuditedReadMixin, ClientFilter, FilteredMixin
from kapcare.api.serializers import (
    CareTeamMemberInput,
    CareTeamMemberSerializer,
    ClientSerializer,
    ClientWriteSerializer,
)
from kapcare.clients import selectors, services
from kapcare.clients.forms import ClientForm
from kapcare.clients.models import CareTeamMember, ClientStatus
from kapcare.clients.permissions import (
    ClientAction,
    can_create_client,
    clients_visible_to,
    get_client_for_actor_or_404,
)


class ClientListFilter(serializers.Serializer):
    search = serializers.CharField(
        required=False, max_length=100, help_text="Words of the name, e-mail or phone."
    )
    status = serializers.ChoiceField(choices=ClientStatus.choices, required=False)


@csrf_exempt
@login_not_required
def no_such_endpoint(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return edge_error(404, _("No such endpoint: %(path)s") % {"path": request.path}, "not_found")


def _form_errors(form) -> ValidationError:
    return ValidationError({name: list(messages) for name, messages in form.errors.items()})


@extend_schema(tags=["clients"])
@extend_schema_view(
    list=extend_schema(parameters=[ClientListFilter]),
    create=extend_schema(request=ClientWriteSerializer, responses={201: ClientSerializer}),
    partial_update=extend_schema(request=ClientWriteSerializer, responses={200: ClientSerializer}),
)
class ClientViewSet(
    AuditedReadMixin,
    FilteredMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Clients the token's user may see, as in the UI's client list. Registering and editing
    parse the body with the UI's client form and go through the same services and gates
    (front desk and clinic admins register; editing needs ClientAction.EDIT)."""

    scope_resource = scopes.PATIENT
    serializer_class = ClientSerializer
    filter_serializer = ClientListFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    audit_type = "api.client"
    audit_label = "client"
    client_field = "id"

    def get_queryset(self):
        filters = self.filters()
        return selectors.client_list(
            actor=self.actor, search=filters.get("search", ""), status=filters.get("status", "")
        )

    def _parsed(self, body, current: dict | None = None) -> dict:
        """The body checked as the UI checks it: types first (400), then the UI's client form (a
        date of birth in the future, a required name: 400); the service's full_clean and gates
        decide the rest (422, 403)."""
        typed = ClientWriteSerializer(data=body, partial=current is not None)
        typed.is_valid(raise_exception=True)
        values = {**(current or {"status": ClientStatus.PROSPECTIVE}), **typed.validated_data}
        form = ClientForm(data={k: v for k, v in values.items() if v is not None})
        if not form.is_valid():
            raise _form_errors(form)
        return {name: form.cleaned_data[name] for name in services.CLIENT_FIELDS}

    def create(self, request, *args, **kwargs):
        if not can_create_client(self.actor):  # before the body: a 403 says more than a 400
            raise PermissionDenied(_("Only front desk and clinic admins register clients."))
        client = services.create_client(actor=self.actor, data=self._parsed(request.data))
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        client = get_client_for_actor_or_404(self.actor, kwargs["pk"], ClientAction.EDIT)
        current = {name: getattr(client, name) for name in services.CLIENT_FIELDS}
        data = self._parsed(request.data, current)
        services.update_client(actor=self.actor, client=client, data=data)
        return Response(ClientSerializer(client).data)


@extend_schema(tags=["care teams"])
@extend_schema_view(
    list=extend_schema(parameters=[ClientFilter]),
    create=extend_schema(request=CareTeamMemberInput, responses={201: CareTeamMemberSerializer}),
)
class CareTeamMemberViewSet(
    AuditedReadMixin,
    FilteredMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Care-team members of clients the token's user may see (the care team is shown with the
    client's demographics). Adding and removing are the clinic admin's, through the service the
    care-team page uses."""

    scope_resource = scopes.CARE_TEAM
    serializer_class = CareTeamMemberSerializer
    filter_serializer = ClientFilter
    audit_type = "api.care_team_member"
    audit_label = "care team"

    def get_queryset(self):
        members = CareTeamMember.objects.select_related("user")
        filters = self.filters()
        if "client" in filters:
            client = get_client_for_actor_or_404(self.actor, filters["client"])
            return members.filter(client=client)
        return members.filter(client__in=clients_visible_to(self.actor))

    def create(self, request, *args, **kwargs):
        data = CareTeamMemberInput(data=request.data)
        data.is_valid(raise_exception=True)
        client = get_client_for_actor_or_404(self.actor, data.validated_data["client"])
        user = clinic_staff(client.clinic_id).filter(pk=data.validated_data["user"]).first()
        if user is None:
            raise ValidationError({"user": ["No such member of staff at this clinic."]})
        member = services.add_care_team_member(
            actor=self.actor, client=client, user=user, role=data.validated_data["role"]
        )
        return Response(CareTeamMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: CareTeamMember) -> None:
        services.remove_care_team_member(actor=self.actor, member=instance)
