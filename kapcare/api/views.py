"""REST endpoints: parse, authorise (scope + the UI's permission rules), call, render."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets

from kapcare.api import scopes
from kapcare.api.auth import api_access
from kapcare.api.serializers import ClientSerializer
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients import selectors


@extend_schema(tags=["clients"])
class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Clients the token's user may see, as in the UI's client list."""

    scope_resource = scopes.PATIENT
    serializer_class = ClientSerializer

    def get_queryset(self):
        actor = api_access(self.request).actor
        search = self.request.query_params.get("search", "")
        status = self.request.query_params.get("status", "")
        return selectors.client_list(actor=actor, search=search, status=status)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data.get("results", [])]
        audit_shown(
            request._request,
            actor=api_access(request).actor,
            action=AuditAction.LIST,
            object_type="api.client.list",
            summary=_("API client list"),
            details={"client_ids": ids},
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        audit_shown(
            request._request,
            actor=api_access(request).actor,
            action=AuditAction.VIEW,
            client_id=response.data["id"],
            object_type="api.client",
            object_id=response.data["id"],
            summary=_("API client record"),
        )
        return response
