"""Staff management for clinic admins: list, invite, roles, deactivate, reset an authenticator;
and the invitee's page that sets their first password."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kapcare.accounts import staff_services
from kapcare.accounts.decorators import staff_required
from kapcare.accounts.invitations import InvitationState, invitation_tokens, user_from_uid
from kapcare.accounts.middleware import mfa_exempt
from kapcare.accounts.models import Role
from kapcare.accounts.staff_forms import (
    AcceptInvitationForm,
    DeactivateForm,
    InviteStaffForm,
    ResetAuthenticatorForm,
    StaffRolesForm,
)
from kapcare.accounts.staff_sections import staff_sections
from kapcare.accounts.staff_selectors import (
    get_staff_member_or_404,
    is_locked_out,
    staff_of_clinic,
    staff_status,
)
from kapcare.audit.models import AuditAction
from kapcare.audit.request_meta import client_ip, user_agent
from kapcare.audit.services import record_security_event
from kapcare.audit.shown import audit_shown
from kapcare.core.forms import add_service_errors
from kapcare.core.paging import query_without_page
from kapcare.core.prg import post_action

STAFF_PER_PAGE = 50
INVITATION_TOKEN_KEY = "kapcare_invitation_token"  # noqa: S105 (a session key name)
# The address the link moves to once its token is in the session (as Django's reset does).
TOKEN_IN_SESSION = "set-password"  # noqa: S105


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@staff_required(Role.CLINIC_ADMIN)
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    page_obj = Paginator(staff_of_clinic(actor.clinic_id), STAFF_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for member in page_obj:
        member.status = staff_status(member)
    return render(
        request,
        "accounts/staff/list.html",
        {"page_obj": page_obj, "query": query_without_page(request)},
    )


@staff_required(Role.CLINIC_ADMIN)
def staff_invite(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = InviteStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_services.invite_staff_member(
                actor=actor,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                credentials=form.cleaned_data["credentials"],
                roles=form.cleaned_data["roles"],
                site_url=_site_url(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": user.email},
            )
            return redirect("staff:detail", user_id=user.pk)
    return render(request, "accounts/staff/invite.html", {"form": form})


def _detail(request: HttpRequest, member, **forms) -> HttpResponse:
    actor = request.actor
    member.status = staff_status(member)
    held = [m.role for m in member.clinic_roles]
    context = {
        "member": member,
        "roles_form": forms.get("roles_form") or StaffRolesForm(initial={"roles": held}),
        "deactivate_form": forms.get("deactivate_form") or DeactivateForm(),
        "reset_form": forms.get("reset_form") or ResetAuthenticatorForm(actor=actor),
        "is_self": member.pk == actor.user.pk,
        "locked_out": member.is_active and is_locked_out(member),
        "sections": [section(request, actor, member) for section in staff_sections()],
    }
    # Audited whenever shown (also after a failed post): it lists clients by name.
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.VIEW,
        obj=member,
        object_type="staff",
        summary=_("Opened the staff page of %(email)s") % {"email": member.email},
    )
    return render(request, "accounts/staff/detail.html", context)


@staff_required(Role.CLINIC_ADMIN)
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_staff_member_or_404(request.actor, user_id)
    if request.method == "POST":
        # The forms post to their own URLs; a reload after a failed post lands here as a GET.
        return redirect("staff:detail", user_id=member.pk)
    return _detail(request, member)


def _after_write(request: HttpRequest, member_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("staff:detail", user_id=member_id)


def _post_only_view(handler):
    """POST runs the handler on the staff member (another clinic's: 404); a GET (a reload after
    a failed post) shows the staff page (kapcare.core.prg)."""

    @post_action("staff:detail")
    @wraps(handler)
    def view(request: HttpRequest, user_id: int) -> HttpResponse:
        return handler(request, get_staff_member_or_404(request.actor, user_id))

    return staff_required(Role.CLINIC_ADMIN)(view)


def _post_form(request: HttpRequest, member, form, key: str, call, message) -> HttpResponse:
    """A form of the staff page: valid → `call(cleaned_data)` (the service) → back to the page
    with `message`; refused (the form or the service) → the page with the errors at the form
    (its context name `key`)."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_write(request, member.pk, message)
    return _detail(request, member, **{key: form})


@_post_only_view
def staff_roles(request: HttpRequest, member) -> HttpResponse:
    return _post_form(
        request,
        member,
        StaffRolesForm(request.POST),
        "roles_form",
        lambda data: staff_services.set_staff_roles(
            actor=request.actor, user=member, roles=data["roles"]
        ),
        _("Roles saved."),
    )


@_post_only_view
def staff_deactivate(request: HttpRequest, member) -> HttpResponse:
    return _post_form(
        request,
        member,
        DeactivateForm(request.POST),
        "deactivate_form",
        lambda data: staff_services.deactivate_staff_member(
            actor=request.actor, user=member, reason=data["reason"]
        ),
        _("%(name)s is deactivated and signed out everywhere.") % {"name": member.full_name},
    )


@_post_only_view
def staff_reactivate(request: HttpRequest, member) -> HttpResponse:
    staff_services.reactivate_staff_member(actor=request.actor, user=member)
    return _after_write(
        request, member.pk, _("%(name)s can sign in again.") % {"name": member.full_name}
    )


@_post_only_view
def staff_unlock(request: HttpRequest, member) -> HttpResponse:
    staff_services.lift_lockout(actor=request.actor, user=member)
    return _after_write(
        request,
        member.pk,
        _("%(name)s can sign in again now.") % {"name": member.full_name},
    )


@_post_only_view
def staff_resend_invitation(request: HttpRequest, member) -> HttpResponse:
    try:
        staff_services.resend_invitation(
            actor=request.actor, user=member, site_url=_site_url(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("staff:detail", user_id=member.pk)
    return _after_write(
        request, member.pk, _("A new invitation went to %(email)s.") % {"email": member.email}
    )


@_post_only_view
def staff_reset_authenticator(request: HttpRequest, member) -> HttpResponse:
    # A valid form has verified the second admin (its clean() refuses otherwise).
    form = ResetAuthenticatorForm(request.POST, actor=request.actor)
    return _post_form(
        request,
        member,
        form,
        "reset_form",
        lambda data: staff_services.reset_authenticator(
            actor=request.actor, user=member, witness=form.witness
        ),
        _("%(name)s's authenticator is reset; they set up a new one at next sign-in.")
        % {"name": member.full_name},
    )


# --- The invitee's side: no session yet, so these pages are public and MFA-exempt. ---


def _invalid_invitation(request: HttpRequest, state: InvitationState) -> HttpResponse:
    # A page that explains, like Django's own used reset link (200): the person did nothing
    # wrong by opening an old e-mail.
    return render(request, "accounts/staff/invitation_invalid.html", {"state": state.value})


@login_not_required
@mfa_exempt
def accept_invitation(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Check the link, then move the token into the session and drop it from the address bar
    (as Django's password reset does) so it cannot leak through the Referer header."""
    user = user_from_uid(uidb64)
    if token != TOKEN_IN_SESSION:
        state = invitation_tokens.state(user, token)
        if state is not InvitationState.VALID:
            return _invalid_invitation(request, state)
        request.session[INVITATION_TOKEN_KEY] = token
        return redirect("staff:accept_invitation", uidb64=uidb64, token=TOKEN_IN_SESSION)
    token = request.session.get(INVITATION_TOKEN_KEY, "")
    state = invitation_tokens.state(user, token)
    if state is not InvitationState.VALID:
        return _invalid_invitation(request, state)
    form = AcceptInvitationForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_services.accept_invitation(
                user=user,
                token=token,
                password=form.cleaned_data["new_password1"],
                ip_address=client_ip(request),
                user_agent=user_agent(request),
            )
        except ValidationError as error:
            form.add_error("new_password2", error)
        else:
            request.session.pop(INVITATION_TOKEN_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            record_security_event(request=request, action=AuditAction.LOGIN, user=user)
            # Nothing else opens until the second factor is enrolled (MFARequiredMiddleware).
            return redirect(f"{reverse('accounts:mfa_setup')}?next={reverse('home:home')}")
    return render(request, "accounts/staff/accept_invitation.html", {"form": form, "invitee": user})
