"""The tabs of a client's page. Each domain adds its tab here with the action that shows it."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    url_name: str
    action: ClientAction


TABS: list[Tab] = [
    Tab("overview", _("Overview"), "clients:detail", ClientAction.VIEW),
    Tab("intake", _("Intake"), "intake:detail", ClientAction.INTAKE),
    Tab("screening", _("Screening"), "screening:overview", ClientAction.VIEW_CLINICAL),
    Tab("consent", _("Consent"), "consent:overview", ClientAction.VIEW),
    Tab("course", _("Course & notes"), "courses:overview", ClientAction.VIEW_CLINICAL),
    Tab("measures", _("Measures"), "measures:overview", ClientAction.VIEW_CLINICAL),
    Tab("dosing", _("Dosing"), "dosing:tab", ClientAction.VIEW_CLINICAL),
    Tab("care_team", _("Care team"), "clients:care_team", ClientAction.MANAGE_CARE_TEAM),
    Tab("access_log", _("Access log"), "clients:access_log", ClientAction.VIEW_ACCESS_LOG),
]


def tabs_for(actions: frozenset[ClientAction], client: Client) -> list[dict]:
    return [
        {"key": tab.key, "label": tab.label, "url": reverse(tab.url_name, args=[client.pk])}
        for tab in TABS
        if tab.action in actions
    ]
