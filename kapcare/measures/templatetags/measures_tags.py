"""Template helpers for measures, including the risk-alert banners other apps' pages include
(an inclusion tag, so the home page and client pages need no measures code in their views)."""

from django import template
from django.utils.translation import gettext as _

from kapcare.clients.permissions import ClientAction
from kapcare.measures.models import MeasureAssignment, Timepoint
from kapcare.measures.selectors import open_alerts_for_client

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def timepoint_label(assignment: MeasureAssignment) -> str:
    if assignment.timepoint == Timepoint.PRE_DOSE and assignment.dosing_session_id:
        number = assignment.slot.partition(":")[2]
        return _("Before dosing session %(n)s") % {"n": number}
    if assignment.timepoint == Timepoint.FOLLOW_UP and assignment.follow_up_months:
        return _("%(m)s-month follow-up") % {"m": assignment.follow_up_months}
    return Timepoint(assignment.timepoint).label


@register.inclusion_tag("measures/partials/_client_alert_banner.html", takes_context=True)
def client_risk_banner(context, client):
    """A banner on every tab of a client's page while a risk alert is open (clinical staff)."""

    actions = context.get("client_actions") or frozenset()
    if ClientAction.VIEW_CLINICAL not in actions or context.get("active_tab") == "measures":
        return {"alerts": []}
    return {"alerts": open_alerts_for_client(client), "client": client}
