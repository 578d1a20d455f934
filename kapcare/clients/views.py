from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.selectors import events_for_client
from kapcare.audit.shown import audit_shown
from kapcare.clients import selectors, services
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.forms import CareTeamAddForm, ClientEditForm, ClientForm, ClientSearchForm
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction, can_create_client
from kapcare.core.concurrency import VERSION_FIELD, ConcurrentChange
from kapcare.core.forms import add_service_errors
from kapcare.core.paging import query_without_page
from kapcare.core.prg import post_action

PAGE_SIZE = 25


@staff_required()
def client_list(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = ClientSearchForm(request.GET or None)
    search = status = ""
    if form.is_valid():
        search, status = form.cleaned_data["q"], form.cleaned_data["status"]
    page = Paginator(selectors.client_list(actor=actor, search=search, status=status), PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="client.list",
        summary=_("Client list, page %(page)s") % {"page": page_obj.number},
        details={"client_ids": [c.pk for c in page_obj], "search": bool(search)},
    )
    query = query_without_page(request)
    context = {
        "form": form,
        "page_obj": page_obj,
        "query": query,
        "search": search,
        "status": status,
        "can_create": can_create_client(actor),
    }
    template = "clients/partials/_client_table.html" if request.htmx else "clients/client_list.html"
    return render(request, template, context)


@staff_required(Role.FRONT_DESK, Role.CLINIC_ADMIN)
def client_create(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.create_client(actor=actor, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": client.full_name})
            return redirect("clients:detail", client_id=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "creating": True})


@client_page(page="overview")
def client_detail(request: HttpRequest, client: Client) -> HttpResponse:
    context = client_page_context(
        request, client, "overview", care_team=selectors.care_team(client)
    )
    return render(request, "clients/client_detail.html", context)


@client_page(ClientAction.EDIT, page="edit")
def client_edit(request: HttpRequest, client: Client) -> HttpResponse:
    # ClientForm never writes to its instance; the service applies and audits the change.
    form = ClientEditForm(
        request.POST or None, instance=client, version=services.client_version(client)
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.CLIENT_FIELDS}
        try:
            changed = services.update_client(
                actor=require_actor(request),
                client=client,
                data=data,
                expected_version=form.based_on,
            )
        except ConcurrentChange as conflict:
            form.show_conflict(conflict)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if changed:
                messages.success(request, _("Saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("clients:detail", client_id=client.pk)
    return render(
        request,
        "clients/client_form.html",
        client_page_context(request, client, "overview", form=form, creating=False),
    )


@client_page(ClientAction.MANAGE_CARE_TEAM, page="care_team")
def client_care_team(request: HttpRequest, client: Client) -> HttpResponse:
    actor = require_actor(request)
    team_version = services.care_team_version(client)
    form = CareTeamAddForm(request.POST or None, clinic_id=client.clinic_id, version=team_version)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_care_team_member(
                actor=actor,
                client=client,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                expected_version=form.based_on,
            )
        except ConcurrentChange as conflict:
            form.show_conflict(conflict)
            team_version = conflict.token
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Care team updated."))
            return redirect("clients:care_team", client_id=client.pk)
    context = client_page_context(
        request,
        client,
        "care_team",
        form=form,
        care_team=selectors.care_team(client),
        team_version=team_version,
        version_field=VERSION_FIELD,
    )
    return render(request, "clients/care_team.html", context)


@post_action("clients:care_team")
@client_page(ClientAction.MANAGE_CARE_TEAM, page="care_team_remove")
def client_care_team_remove(request: HttpRequest, client: Client, member_id: int) -> HttpResponse:
    member = client.care_team.select_related("user", "client").filter(pk=member_id).first()
    if member is None:
        raise Http404("No such care team member.")
    try:
        services.remove_care_team_member(
            actor=require_actor(request),
            member=member,
            expected_version=request.POST.get(VERSION_FIELD) or None,
        )
    except ConcurrentChange as conflict:
        change = conflict.conflicts[0] if conflict.conflicts else None
        messages.error(
            request,
            _(
                "The care team changed since you opened this page, so nobody was removed. "
                "Now: %(theirs)s. After your removal it would have been: %(yours)s. "
                "Check the team below and remove again if you still mean to."
            )
            % {
                "theirs": change.theirs if change else "—",
                "yours": change.yours if change else "—",
            },
        )
        return redirect("clients:care_team", client_id=client.pk)
    messages.success(request, _("%(name)s is off the care team.") % {"name": member.user.full_name})
    return redirect("clients:care_team", client_id=client.pk)


@client_page(ClientAction.VIEW_ACCESS_LOG, page="access_log")
def client_access_log(request: HttpRequest, client: Client) -> HttpResponse:
    page_obj = Paginator(events_for_client(client), 50).get_page(request.GET.get("page"))
    context = client_page_context(request, client, "access_log", page_obj=page_obj)
    return render(request, "clients/access_log.html", context)
