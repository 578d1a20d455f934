"""The course tab: status and gates, transitions, and session notes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kapcare.accounts.decorators import require_actor
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction
from kapcare.core.forms import add_service_errors
from kapcare.core.prg import post_action
from kapcare.courses import services
from kapcare.courses.crypto import decrypt_text
from kapcare.courses.dosing_sessions import sessions_of_course
from kapcare.courses.forms import NOTE_FORMS, AddendumForm, OpenCourseForm, TransitionForm
from kapcare.courses.gates import dosing_gates, pathway_gate_keys
from kapcare.courses.models import ClinicalNote, CourseStatus, NoteKind
from kapcare.courses.permissions import (
    can_change_course_status,
    can_cosign_note,
    can_open_course,
    can_read_note,
    can_write_session_note,
)
from kapcare.courses.selectors import (
    client_note,
    current_course,
    notes_for_course,
    paused_from,
    preparation_missing,
    with_followed_sessions,
)
from kapcare.courses.services import notes as note_services
from kapcare.courses.states import REASON_REQUIRED, TRANSITIONS

CLINICAL = ClientAction.VIEW_CLINICAL


def _course_or_404(client: Client):
    course = current_course(client)
    if course is None:
        raise Http404("No course.")
    return course


@client_page(CLINICAL, page="course")
def overview(request: HttpRequest, client: Client) -> HttpResponse:
    return _overview(request, client)


def _overview(
    request: HttpRequest, client: Client, *, failed: TransitionForm | None = None
) -> HttpResponse:
    """The course tab. A status change that was refused comes back as `failed`, so its
    disclosure opens with the message at its field."""
    actor = require_actor(request)
    course = current_course(client)
    context = {
        "course": course,
        "can_open": can_open_course(actor, client),
        "open_form": OpenCourseForm(),
    }
    if course is not None:
        gates = dosing_gates(course, timezone.now())
        # "Ready for dosing" is the pathway's verdict: the course has reached dosing. The gates
        # other apps add (pre-dose checks, the order, stock) are judged again at each dose and
        # are listed on their own, so a clinician sees which kind of gate is holding a dose.
        pathway_keys = pathway_gate_keys()
        pathway = [g for g in gates if g.key in pathway_keys]
        per_dose = [g for g in gates if g.key not in pathway_keys]
        can_change = can_change_course_status(actor, client)
        context.update(
            gates=pathway,
            dose_gates=per_dose,
            ready=all(g.passed for g in pathway),
            cleared=all(g.passed for g in gates),
            history=course.history.select_related("changed_by").order_by("changed_at", "id"),
            notes=notes_for_course(course, actor.user),
            can_change=can_change,
            changes=_changes(course, failed) if can_change else [],
            can_write=can_write_session_note(actor, client),
            # An integration note follows a dosing session, so offer it once there is one.
            note_kinds=[
                (value, label)
                for value, label in NoteKind.choices
                if value != NoteKind.INTEGRATION or sessions_of_course(course.pk)
            ],
        )
    if failed is not None and not any(c["open"] for c in context.get("changes", [])):
        # The change is no longer on offer (the page was stale): say why at the top instead.
        messages.error(request, " ".join(e for errors in failed.errors.values() for e in errors))
    return render(
        request, "courses/overview.html", client_page_context(request, client, "course", **context)
    )


# Forward moves into awaiting consent, preparation and active happen by themselves when their
# requirements are met; people resume, complete, pause and discontinue, in that order on the page.
_CHANGE_LABELS = {
    CourseStatus.COMPLETED: _lazy("Mark the course completed"),
    CourseStatus.PAUSED: _lazy("Pause the course"),
    CourseStatus.DISCONTINUED: _lazy("Discontinue the course"),
}
_CHANGE_HELP = {
    CourseStatus.PAUSED: _lazy(
        "No dose can be given while the course is paused. It resumes in the phase it was "
        "paused from."
    ),
    CourseStatus.DISCONTINUED: _lazy(
        "Ends the course for good: no further doses. A new course starts again at screening."
    ),
}


def _changes(course, failed: TransitionForm | None) -> list[dict]:
    """The status changes a person may make now, each with its form."""
    allowed = TRANSITIONS[course.status]
    targets = []
    if course.status == CourseStatus.PAUSED:
        resume_to = paused_from(course)
        if resume_to in allowed:
            targets.append(CourseStatus(resume_to))
    targets += [t for t in _CHANGE_LABELS if t in allowed]
    changes = []
    for target in targets:
        form = failed if failed is not None and failed.target == target else None
        changes.append(
            {
                "to": target.value,
                "label": _CHANGE_LABELS.get(target)
                or _("Resume the course (%(phase)s)") % {"phase": target.label},
                "help": _CHANGE_HELP.get(target, ""),
                "needs_reason": target in REASON_REQUIRED,
                "form": form or TransitionForm(target=target, auto_id=f"id_{target}_%s"),
                "open": form is not None,
            }
        )
    return changes


@post_action("courses:overview")
@client_page(ClientAction.VIEW, page="course_open")
def open_course(request: HttpRequest, client: Client) -> HttpResponse:
    form = OpenCourseForm(request.POST)
    if form.is_valid():
        try:
            services.open_course(
                actor=require_actor(request),
                client=client,
                condition=form.cleaned_data["condition"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Treatment course opened, starting with screening."))
    else:
        messages.error(request, _("Choose the primary condition."))
    return redirect("courses:overview", client_id=client.pk)


@post_action("courses:overview")
@client_page(CLINICAL, page="course_transition")
def transition(request: HttpRequest, client: Client) -> HttpResponse:
    course = _course_or_404(client)
    target = request.POST.get("to", "")
    # The target names the form's ids, so only a real status may (a posted "%s" would not).
    prefix = target if target in CourseStatus.values else "to"
    form = TransitionForm(request.POST, auto_id=f"id_{prefix}_%s")
    if not form.is_valid():
        if "to" in form.errors:
            messages.error(request, _("That change is not possible."))
            return redirect("courses:overview", client_id=client.pk)
        return _overview(request, client, failed=form)
    try:
        services.transition_course(
            actor=require_actor(request),
            course=course,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        if form.target not in REASON_REQUIRED:
            messages.error(request, " ".join(error.messages))
            return redirect("courses:overview", client_id=client.pk)
        form.add_error(None, error)
        return _overview(request, client, failed=form)
    messages.success(request, _("The course is now: %(s)s.") % {"s": course.get_status_display()})
    return redirect("courses:overview", client_id=client.pk)


def _note_or_404(actor, client: Client, note_id: int) -> ClinicalNote:
    note = client_note(clinic_id=actor.clinic_id, client_id=client.pk, note_id=note_id)
    if note is None or not can_read_note(actor, note):
        raise Http404("No such note.")
    return note


def _form_for(kind: str, request: HttpRequest, course, note=None):
    form_class = NOTE_FORMS.get(kind)
    if form_class is None:
        raise Http404("Unknown note kind.")
    initial = form_class.initial_from(note) if note else {}
    if note is not None and kind == NoteKind.PROCESS:
        initial.update(
            process_text=decrypt_text(note.encrypted_text),
            shared_with=[str(i) for i in note.shared_with],
        )
    return form_class(request.POST or None, initial=initial, course=course, viewer=request.user)


def _save_note(request, client, course, form, kind, note=None):
    """Create or update from a valid form; returns the note, or None with errors on the form."""
    actor = require_actor(request)
    data = form.cleaned_data
    extra = {}
    if kind == NoteKind.PROCESS:
        extra = {"process_text": data["process_text"]}
    try:
        if note is None:
            note = note_services.create_note(
                actor=actor,
                course=course,
                kind=kind,
                session_date=data["session_date"],
                content=form.content(),
                free_text=data.get("free_text", ""),
                dosing_session_id=data.get("dosing_session"),
                **extra,
            )
            if kind == NoteKind.PROCESS and data.get("shared_with"):
                note = note_services.update_draft(
                    actor=actor,
                    note=note,
                    session_date=note.session_date,
                    shared_with=[int(i) for i in data["shared_with"]],
                )
        else:
            if kind == NoteKind.PROCESS:
                extra["shared_with"] = [int(i) for i in data.get("shared_with", [])]
            note = note_services.update_draft(
                actor=actor,
                note=note,
                session_date=data["session_date"],
                content=form.content(),
                free_text=data.get("free_text", ""),
                **extra,
            )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    return note


@client_page(CLINICAL, page="note_new")
def note_new(request: HttpRequest, client: Client) -> HttpResponse:
    actor = require_actor(request)
    course = _course_or_404(client)
    if not can_write_session_note(actor, client):
        raise PermissionDenied(
            _("Only a therapist on the client's care team writes session notes.")
        )
    kind = request.GET.get("kind", "")
    form = _form_for(kind, request, course)
    if request.method == "POST" and form.is_valid():
        note = _save_note(request, client, course, form, kind)
        if note is not None:
            messages.success(request, _("Draft saved. Sign it when it is complete."))
            return redirect("courses:note_detail", client_id=client.pk, note_id=note.pk)
    context = client_page_context(
        request,
        client,
        "course",
        form=form,
        course=course,
        kind=NoteKind(kind),
        note=None,
        # What the signed preparation notes do not cover yet, so the therapist sees it while
        # writing the note that is to cover it.
        preparation_missing=preparation_missing(course, timezone.now())
        if kind == NoteKind.PREPARATION
        else [],
    )
    return render(request, "courses/note_form.html", context)


@client_page(CLINICAL, page="note_edit")
def note_edit(request: HttpRequest, client: Client, note_id: int) -> HttpResponse:
    actor = require_actor(request)
    note = _note_or_404(actor, client, note_id)
    if note.is_signed or note.author_id != actor.user.pk:
        raise PermissionDenied(_("Only the author edits a draft; signed notes take addenda."))
    form = _form_for(note.kind, request, note.course, note)
    saved = (
        request.method == "POST"
        and form.is_valid()
        and _save_note(request, client, note.course, form, note.kind, note)
    )
    if saved:
        messages.success(request, _("Draft saved."))
        return redirect("courses:note_detail", client_id=client.pk, note_id=note.pk)
    context = client_page_context(
        request,
        client,
        "course",
        form=form,
        course=note.course,
        kind=NoteKind(note.kind),
        note=note,
    )
    return render(request, "courses/note_form.html", context)


@client_page(CLINICAL, page="note")
def note_detail(request: HttpRequest, client: Client, note_id: int) -> HttpResponse:
    actor = require_actor(request)
    note = with_followed_sessions([_note_or_404(actor, client, note_id)])[0]
    form_class = NOTE_FORMS[note.kind]
    answers = [
        (form_class.base_fields[name].label, note.content.get(name))
        for name in form_class.content_fields
    ]
    request.audited = note
    context = client_page_context(
        request,
        client,
        "course",
        note=note,
        answers=answers,
        process_text=decrypt_text(note.encrypted_text) if note.kind == NoteKind.PROCESS else "",
        addenda=note.addenda.select_related("author"),
        cosignatures=note.cosignatures.select_related("cosigned_by"),
        addendum_form=AddendumForm(),
        can_cosign=note.is_signed
        and can_cosign_note(actor, note)
        and not note.cosignatures.filter(cosigned_by=actor.user).exists(),
        is_author=note.author_id == actor.user.pk,
    )
    return render(request, "courses/note_detail.html", context)


@post_action("courses:note_detail")
@client_page(CLINICAL, page="note_sign")
def note_sign(request: HttpRequest, client: Client, note_id: int) -> HttpResponse:
    actor = require_actor(request)
    note = _note_or_404(actor, client, note_id)
    status_before = note.course.status
    try:
        note_services.sign_note(actor=actor, note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Signed. The note is now locked; corrections go in addenda."))
        course = note.course
        course.refresh_from_db(fields=["status"])
        if course.status != status_before:
            # Signing the last missing preparation moves the course on by itself; say so here,
            # where the therapist is, rather than only on the course tab.
            messages.info(
                request,
                _("Preparation is complete: the course is now in %(s)s.")
                % {"s": course.get_status_display().lower()},
            )
    return redirect("courses:note_detail", client_id=client.pk, note_id=note.pk)


@post_action("courses:note_detail")
@client_page(CLINICAL, page="note_addendum")
def note_addendum(request: HttpRequest, client: Client, note_id: int) -> HttpResponse:
    actor = require_actor(request)
    note = _note_or_404(actor, client, note_id)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            note_services.add_addendum(actor=actor, note=note, text=form.cleaned_data["text"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Addendum added."))
    else:
        messages.error(request, _("Write the addendum first."))
    return redirect("courses:note_detail", client_id=client.pk, note_id=note.pk)


@post_action("courses:note_detail")
@client_page(CLINICAL, page="note_cosign")
def note_cosign(request: HttpRequest, client: Client, note_id: int) -> HttpResponse:
    actor = require_actor(request)
    note = _note_or_404(actor, client, note_id)
    try:
        note_services.cosign_note(actor=actor, note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Co-signed."))
    return redirect("courses:note_detail", client_id=client.pk, note_id=note.pk)
