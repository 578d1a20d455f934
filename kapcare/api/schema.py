"""What /api/schema/ says beyond what drf-spectacular finds by itself: the bearer-token scheme,
and the one error shape (kapcare.api.errors) on every status an endpoint can answer with, so a
client generated from the schema handles every response."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "kapcare.api.auth.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A token issued by a clinic admin (Authorization: Bearer kc_…); its SMART "
                "scopes, e.g. user/Patient.rs, decide what it may do."
            ),
        }


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by input field (or item), when the input was refused.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Bad request: a malformed body, filter or cursor, or a NUL character.",
    401: "No valid bearer token.",
    403: "The token's scopes or its user's role do not allow this.",
    404: "No such record, or one the token's user may not see.",
    413: "The request body is too large.",
    415: "The body is not JSON.",
    422: "The clinic's rules refuse this (e.g. an answer outside the options).",
}
READ_ERRORS = (400, 401, 403, 404)
WRITE_ERRORS = (*READ_ERRORS, 413, 415, 422)


class ApiAutoSchema(AutoSchema):
    """Every operation documents the error responses it can give, all in the Error shape; a
    record's {id} is an integer (the views find it through the token, which schema generation
    has not got)."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if "{id}" in self.path:
            parameters.append(
                OpenApiParameter("id", int, OpenApiParameter.PATH, description="The record's id.")
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        statuses = WRITE_ERRORS if self.method in ("POST", "PUT", "PATCH") else READ_ERRORS
        for status in statuses:
            if str(status) not in responses:
                body = self._get_response_for_code(
                    ErrorSerializer, str(status), direction=direction
                )
                body["description"] = ERROR_DESCRIPTIONS[status]
                responses[str(status)] = body
        return responses
