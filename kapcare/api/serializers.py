"""Representations of kapcare's records on /api/v1/. Read-only fields unless a service writes them."""

from rest_framework import serializers

from kapcare.clients.models import CARE_TEAM_ROLES, CareTeamMember, Client
from kapcare.clients.services import CLIENT_FIELDS


class CareTeamMemberSerializer(serializers.ModelSerializer):
    user_email = serializers.EmailField(source="user.email", read_only=True)
    user_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = CareTeamMember
        fields = ["id", "client", "user", "user_email", "user_name", "role", "added_at"]
        read_only_fields = fields


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = [
            "id",
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "pronouns",
            "email",
            "phone",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "created_at", "updated_at"]


class ClientWriteSerializer(serializers.ModelSerializer):
    """The body of a client registration or edit: the fields staff set in the UI's form."""

    class Meta:
        model = Client
        fields = list(CLIENT_FIELDS)


class CareTeamMemberInput(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    user = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    role = serializers.ChoiceField(choices=[(r.value, r.label) for r in CARE_TEAM_ROLES])
