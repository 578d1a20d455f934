"""The session record and the esketamine REMS monitoring record as PDFs."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from kapcare.accounts.decorators import require_actor
from kapcare.clients.access import client_page
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction
from kapcare.core.downloads import set_download_name
from kapcare.dosing import selectors
from kapcare.dosing.charts import as_data_uri, vitals_chart_svg
from kapcare.dosing.pdf import render_pdf

REMS_URL = "https://www.spravatorems.com/"


def _pdf(request, filename: str, content: bytes, session) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    set_download_name(response, filename, attachment=False)
    response["Cache-Control"] = "no-store"
    request.audited = session
    return response


def _record_context(session) -> dict:
    data = selectors.live_view(session)
    baseline = selectors.baseline_of(data["check"])
    chart = vitals_chart_svg(
        data["vitals"],
        dose_started_at=session.dose_started_at,
        baseline=baseline,
        zone=session.clinic.zone,
    )
    return {
        "session": session,
        "client": session.client,
        "clinic": session.clinic,
        "data": data,
        "chart": as_data_uri(chart),
        "timeline": selectors.timeline(session, data),
        "wastes": selectors.session_wastes(session),
        "discharge": selectors.session_discharge(session),
        "printed_at": timezone.now(),
    }


@client_page(ClientAction.VIEW_CLINICAL, page="dosing_record_pdf")
def session_record(request: HttpRequest, client: Client, session_id: int) -> HttpResponse:
    session = selectors.session_for_actor_or_404(require_actor(request), client, session_id)
    content = render_pdf("dosing/pdf/session_record.html", _record_context(session))
    return _pdf(request, f"session-{session.number}-record.pdf", content, session)


@client_page(ClientAction.VIEW_CLINICAL, page="dosing_rems_pdf")
def rems_record(request: HttpRequest, client: Client, session_id: int) -> HttpResponse:
    session = selectors.session_for_actor_or_404(require_actor(request), client, session_id)
    record = selectors.session_rems_record(session)
    if record is None:
        raise Http404("No REMS record for this session.")
    context = _record_context(session)
    vitals = context["data"]["vitals"]
    context.update(
        rems=record,
        rems_url=REMS_URL,
        before=context["data"]["check"],
        after=[
            v
            for v in vitals
            if v.systolic is not None
            and session.dose_started_at
            and v.recorded_at >= session.dose_started_at
        ],
    )
    content = render_pdf("dosing/pdf/rems.html", context)
    return _pdf(request, f"session-{session.number}-rems-monitoring.pdf", content, session)
