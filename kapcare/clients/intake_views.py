"""A client's intake: read it, enter it, or send the client a single-use link to fill it in."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kapcare.accounts.decorators import require_actor
from kapcare.accounts.models import WeightUnit
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.models import Client, LinkPurpose
from kapcare.clients.pathway_forms import StaffIntakeForm, kg_to_lb
from kapcare.clients.pathway_selectors import conditions_by_group, intake_for, open_intake_link
from kapcare.clients.permissions import ClientAction
from kapcare.clients.services.links import create_link, issued_link, make_and_send
from kapcare.clients.services.pathway import intake_version, save_intake_and_emergency_contact
from kapcare.core.concurrency import ConcurrentChange
from kapcare.core.forms import add_service_errors


@client_page(ClientAction.INTAKE, page="intake")
def intake_detail(request: HttpRequest, client: Client) -> HttpResponse:
    intake = intake_for(client)
    context = client_page_context(
        request,
        client,
        "intake",
        intake=intake,
        condition_groups=conditions_by_group(intake.conditions) if intake else [],
        open_link=open_intake_link(client),
        weight_lb=kg_to_lb(intake.weight_kg)
        if intake and intake.weight_kg is not None and client.clinic.weight_unit == WeightUnit.LB
        else None,
    )
    return render(request, "intake/detail.html", context)


@client_page(ClientAction.INTAKE, page="intake_edit")
def intake_edit(request: HttpRequest, client: Client) -> HttpResponse:
    actor = require_actor(request)
    # The suicide-risk assessment is a clinician's: staff who may not see the clinical record
    # (front desk doing data entry) see the one on file but cannot change it.
    form = StaffIntakeForm(
        request.POST or None,
        client=client,
        intake=intake_for(client),
        assess_risk=ClientAction.VIEW_CLINICAL in request.client_actions,
        version=intake_version(client),
    )
    if request.method == "POST" and form.is_valid():
        try:
            save_intake_and_emergency_contact(
                actor=actor,
                client=client,
                data=form.intake_data(),
                emergency_contact=form.emergency_contact(),
                expected_version=form.based_on,
            )
        except ConcurrentChange as conflict:
            form.show_conflict(conflict)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Intake saved."))
            return redirect("intake:detail", client_id=client.pk)
    return render(
        request, "intake/edit.html", client_page_context(request, client, "intake", form=form)
    )


@require_http_methods(["GET", "POST"])
@never_cache
@client_page(ClientAction.INTAKE, page="intake_link")
def intake_link(request: HttpRequest, client: Client) -> HttpResponse:
    """POST makes a link, then redirects here; GET shows it again to whoever made it until it
    is used (post/redirect/get), else leads back to the intake page to make a new one."""
    if request.method == "POST":
        actor = require_actor(request)
        link, token = create_link(actor=actor, client=client, purpose=LinkPurpose.INTAKE)
        url = request.build_absolute_uri(reverse("public:intake_link", args=[token]))
        make_and_send(request, actor=actor, link=link, token=token, url=url)
        return redirect("intake:link", client_id=client.pk)
    issued = issued_link(request, client=client, purpose=LinkPurpose.INTAKE)
    if issued is None:
        return redirect("intake:detail", client_id=client.pk)
    # The token lives only in this staff member's session: the database keeps its hash.
    link, token, sent_to = issued
    url = request.build_absolute_uri(reverse("public:intake_link", args=[token]))
    context = client_page_context(
        request, client, "intake", link=link, link_url=url, link_sent_to=sent_to
    )
    return render(request, "intake/link_created.html", context)
