"""The Measures tab of a client's page: responses, due questionnaires, entry, links, alerts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kapcare.accounts.decorators import require_actor
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.models import Client, LinkPurpose
from kapcare.clients.permissions import ClientAction
from kapcare.clients.services.links import LinkChannel, issued_link, make_and_send
from kapcare.core.forms import add_service_errors
from kapcare.core.prg import post_action
from kapcare.courses.selectors import current_course
from kapcare.measures import selectors, services
from kapcare.measures.forms import AcknowledgeForm, ResponseForm
from kapcare.measures.models import (
    AssignmentStatus,
    InstrumentDefinition,
    MeasureAssignment,
)
from kapcare.measures.services import alerts as alert_services
from kapcare.measures.services.instruments import ensure_shipped_instruments

CLINICAL = ClientAction.VIEW_CLINICAL


def _definitions(client: Client) -> list[InstrumentDefinition]:
    definitions = selectors.active_definitions(client.clinic_id)
    if not definitions:
        ensure_shipped_instruments(clinic=client.clinic)
        definitions = selectors.active_definitions(client.clinic_id)
    return definitions


def _overview_context(request: HttpRequest, client: Client, **extra) -> dict:
    # The schedule is only read here: the services that change it keep it current.
    course = current_course(client)
    definitions = _definitions(client)
    today = client.clinic.today()
    return client_page_context(
        request,
        client,
        "measures",
        course=course,
        today=today,
        definitions=definitions,
        titles={d.code: d.short_title for d in definitions},
        due=selectors.assignments_for_client(client, today),
        responses=list(selectors.responses_for_client(client)[:100]),
        open_alerts=selectors.open_alerts_for_client(client),
        past_alerts=[a for a in selectors.alerts_for_client(client) if not a.is_open],
        acknowledge_form=AcknowledgeForm(),
        **extra,
    )


@client_page(CLINICAL, page="measures")
def overview(request: HttpRequest, client: Client) -> HttpResponse:
    return render(request, "measures/overview.html", _overview_context(request, client))


def _definition_or_404(client: Client, code: str) -> InstrumentDefinition:
    definition = services.active_definition(client.clinic_id, code)
    if definition is None:
        raise Http404("No such instrument.")
    return definition


def _assignment_or_404(client: Client, assignment_id) -> MeasureAssignment:
    try:
        assignment = selectors.client_assignment(client, int(assignment_id))
    except (ValueError, TypeError):
        raise Http404("No such questionnaire.") from None
    if assignment is None:
        raise Http404("No such questionnaire.")
    return assignment


@client_page(CLINICAL, page="measures_enter")
def enter(request: HttpRequest, client: Client, code: str) -> HttpResponse:
    """Staff entry of one questionnaire (from paper, or read to the client)."""
    definition = _definition_or_404(client, code)
    assignment_id = request.GET.get("assignment") or request.POST.get("assignment")
    assignment = _assignment_or_404(client, assignment_id) if assignment_id else None
    if assignment is not None and (
        assignment.instrument_code != code or assignment.status != AssignmentStatus.PENDING
    ):
        raise Http404("No such questionnaire.")
    form = ResponseForm(request.POST or None, definition=definition)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.record_response(
                actor=require_actor(request),
                client=client,
                definition=definition,
                answers=form.answers(),
                course=current_course(client) if assignment is None else None,
                assignment=assignment,
                completed_at=form.completed_at(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The response is saved."))
            return redirect("measures:response", client_id=client.pk, response_id=response.pk)
    context = client_page_context(
        request, client, "measures", definition=definition, form=form, assignment=assignment
    )
    return render(request, "measures/enter.html", context)


@client_page(CLINICAL, page="measures_response")
def response_detail(request: HttpRequest, client: Client, response_id: int) -> HttpResponse:
    response = selectors.client_response(client, response_id)
    if response is None:
        raise Http404("No such response.")
    spec = response.instrument.definition
    items = []
    for item in spec["items"]:
        value = response.answers.get(item["key"])
        labels = {o["value"]: o["label"] for o in spec["answer_sets"][item["answers"]]}
        items.append(
            {
                "key": item["key"],
                "text": response.instrument.text_for(item["key"]),
                "value": value,
                "label": labels.get(value, "") if value is not None else "",
            }
        )
    labels = {s["key"]: s["label"] for s in spec["scoring"].get("subscales", [])}
    flag_labels = {
        r["key"]: r["label"]
        for r in [*spec["scoring"].get("thresholds", []), *spec["scoring"].get("cluster_rules", [])]
    }
    request.audited = response
    alerts = list(response.alerts.select_related("acknowledged_by"))
    context = client_page_context(
        request,
        client,
        "measures",
        response=response,
        items=items,
        subscales=[(labels.get(k, k), v) for k, v in response.subscales.items()],
        flags=[(flag_labels.get(k, k), v) for k, v in response.flags.items()],
        alerts=alerts,
        open_alerts=[a for a in alerts if a.is_open],
        acknowledge_form=AcknowledgeForm(),
    )
    return render(request, "measures/response_detail.html", context)


@require_http_methods(["GET", "POST"])
@client_page(CLINICAL, page="measures_link")
def send_link(request: HttpRequest, client: Client, assignment_id: int) -> HttpResponse:
    """A single-use link for one pending questionnaire. POST makes it and redirects here
    (post/redirect/get); GET shows it again to whoever made it until it is used, else leads
    back to the measures page to make a new one."""
    assignment = _assignment_or_404(client, assignment_id)
    if request.method == "POST":
        made = _make_and_send_link(request, client, assignment)
        if made is None:
            return redirect("measures:overview", client_id=client.pk)
        link, url, sent_to = made
        if not request.htmx:
            return redirect("measures:send_link", client_id=client.pk, assignment_id=assignment.pk)
    else:
        issued = issued_link(
            request, client=client, purpose=LinkPurpose.QUESTIONNAIRE, target_id=assignment.pk
        )
        if issued is None:
            return redirect("measures:overview", client_id=client.pk)
        link, token, sent_to = issued
        url = request.build_absolute_uri(reverse("measures_public:fill", args=[token]))
    extra = {
        "link_url": url,
        "link": link,
        "link_assignment": assignment,
        "link_sent_to": sent_to,
    }
    if request.htmx:
        response = render(request, "measures/partials/_link.html", {"client": client, **extra})
    else:
        response = render(
            request, "measures/overview.html", _overview_context(request, client, **extra)
        )
    add_never_cache_headers(response)  # the page holds a working token
    return response


@post_action("measures:overview")
@client_page(CLINICAL, page="measures_request")
def request_measure(request: HttpRequest, client: Client) -> HttpResponse:
    definition = _definition_or_404(client, request.POST.get("code", ""))
    course = current_course(client)
    if course is None:
        messages.error(request, _("Open a treatment course first."))
    else:
        assignment = services.request_measure(
            actor=require_actor(request), course=course, definition=definition
        )
        messages.success(
            request, _("%(i)s is now due for this client.") % {"i": definition.short_title}
        )
        # "Ask now" sends the client the link at once, unless staff chose to copy it later;
        # the link's page then shows it (post/redirect/get).
        asked_to_send = request.POST.get("channel") not in (None, "", LinkChannel.COPY)
        if asked_to_send and _make_and_send_link(request, client, assignment) is not None:
            return redirect("measures:send_link", client_id=client.pk, assignment_id=assignment.pk)
    return redirect("measures:overview", client_id=client.pk)


def _make_and_send_link(request: HttpRequest, client: Client, assignment):
    """Make the questionnaire's single-use link and send it by the channel asked for, keeping
    it for the page that shows it: (link, url, where it was sent), or None (with a message)
    when no link can be made."""
    actor = require_actor(request)
    try:
        link, token = services.create_questionnaire_link(actor=actor, assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None
    url = request.build_absolute_uri(reverse("measures_public:fill", args=[token]))
    return link, url, make_and_send(request, actor=actor, link=link, token=token, url=url)


@post_action("measures:overview")
@client_page(CLINICAL, page="measures_acknowledge")
def acknowledge(request: HttpRequest, client: Client, alert_id: int) -> HttpResponse:
    alert = selectors.client_alert(client, alert_id)
    if alert is None:
        raise Http404("No such alert.")
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            alert_services.acknowledge_alert(
                actor=require_actor(request),
                alert=alert,
                action_taken=form.cleaned_data["action_taken"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The alert is acknowledged."))
            return redirect("measures:overview", client_id=client.pk)
    context = _overview_context(request, client)
    context.update(acknowledge_form=form, failed_alert_id=alert.pk)
    return render(request, "measures/overview.html", context, status=400)
