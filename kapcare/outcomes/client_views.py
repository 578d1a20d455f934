"""A client's score trajectory as an SVG image, for the chart on the Measures tab."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kapcare.clients.access import client_page
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction
from kapcare.outcomes import selectors
from kapcare.outcomes.charts import trajectory_svg
from kapcare.outcomes.views import svg_policy, svg_response


def chart_labels() -> dict[str, str]:
    return {"y": _("Total score"), "dosing": _("Dosing session"), "empty": _("No scores yet")}


@never_cache
@svg_policy
@client_page(ClientAction.VIEW_CLINICAL, page="outcomes_chart")
def trajectory_chart(request: HttpRequest, client: Client, code: str) -> HttpResponse:
    """The image beside the data table: a clinical read like any client page, so it goes
    through client_page (care-team check, one VIEW audit event per image served)."""
    data = selectors.client_trajectories(client, code)[0]
    if not data.points and data.definition is None:
        raise Http404("No such instrument.")
    chart = selectors.trajectory_chart(
        data, tz=timezone.get_current_timezone(), labels=chart_labels()
    )
    return svg_response(trajectory_svg(chart))
