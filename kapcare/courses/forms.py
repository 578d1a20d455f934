"""Forms for courses and session notes. Each note form knows which of its fields are the
structured answers stored in ClinicalNote.content."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.clients.conditions import Condition
from kapcare.courses.dosing_sessions import SessionRef, sessions_of_course
from kapcare.courses.models import CourseStatus, NoteKind
from kapcare.courses.states import REASON_REQUIRED

TEXT = {"widget": forms.Textarea(attrs={"rows": 3}), "required": False}


class OpenCourseForm(forms.Form):
    condition = forms.ChoiceField(label=_("Primary condition"), choices=Condition.choices)


class TransitionForm(forms.Form):
    """One status change. Pausing and discontinuing need a reason, asked for at its field; the
    service checks everything else (the transition table, each phase's preconditions)."""

    to = forms.ChoiceField(choices=CourseStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the course history and shown on the safety gates."),
    )

    def __init__(self, *args, target: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target or self.data.get("to", "")
        if self.target in REASON_REQUIRED:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = _("Give a reason for this change.")


class NoteForm(forms.Form):
    content_fields: tuple[str, ...] = ()
    session_date = forms.DateField(
        label=_("Session date"),
        widget=forms.DateInput(attrs={"type": "date", "class": "kc-input-date"}, format="%Y-%m-%d"),
    )
    free_text = forms.CharField(label=_("Other notes"), **TEXT)

    def __init__(self, *args, course=None, viewer=None, **kwargs):
        self.course, self.viewer = course, viewer
        super().__init__(*args, **kwargs)
        if not self.is_bound and "session_date" not in self.initial:
            self.initial["session_date"] = timezone.localdate()

    def clean_session_date(self):
        day = self.cleaned_data["session_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A session date cannot be in the future."))
        return day

    def content(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.content_fields}

    @classmethod
    def initial_from(cls, note) -> dict:
        return {"session_date": note.session_date, "free_text": note.free_text, **note.content}


class PreparationNoteForm(NoteForm):
    content_fields = (
        "psychoeducation_given",
        "intentions",
        "concerns_expectations",
        "mindfulness_practice",
        "safety_warning_signs",
        "safety_coping_steps",
        "safety_contacts",
        "safety_crisis_line",
        "escort_name",
        "ride_home_plan",
        "fasting_instructions_given",
    )
    psychoeducation_given = forms.BooleanField(
        label=_("Psychoeducation about ketamine given (effects, risks, what a session is like)"),
        required=False,
    )
    intentions = forms.CharField(label=_("The client's intentions, in their own words"), **TEXT)
    concerns_expectations = forms.CharField(label=_("Concerns and expectations"), **TEXT)
    mindfulness_practice = forms.CharField(label=_("Mindfulness practice taught"), **TEXT)
    safety_warning_signs = forms.CharField(label=_("Warning signs"), **TEXT)
    safety_coping_steps = forms.CharField(label=_("Coping steps"), **TEXT)
    safety_contacts = forms.CharField(label=_("People to contact"), **TEXT)
    safety_crisis_line = forms.CharField(
        label=_("Crisis line"),
        required=False,
        max_length=200,
        initial="988 Suicide & Crisis Lifeline (call or text 988)",
        # A text box like its neighbours, so the whole line shows at tablet width.
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    escort_name = forms.CharField(
        label=_("Escort (who takes the client home)"), required=False, max_length=200
    )
    ride_home_plan = forms.CharField(label=_("Ride home plan"), **TEXT)
    fasting_instructions_given = forms.BooleanField(
        label=_("Fasting and medication-hold instructions given"), required=False
    )


def _session_label(session: SessionRef) -> str:
    if session.number is None or session.scheduled_for is None:
        return _("Session %(n)s") % {"n": session.shown}
    day = timezone.localtime(session.scheduled_for).strftime("%b %d, %Y")
    return _("Session %(n)s — %(day)s") % {"n": session.number, "day": day}


class IntegrationNoteForm(NoteForm):
    content_fields = ("insights", "emotions", "body", "intentions_revisited", "daily_life_actions")
    dosing_session = forms.TypedChoiceField(coerce=int, label=_("Follows dosing session"))
    insights = forms.CharField(label=_("Insights"), **TEXT)
    emotions = forms.CharField(label=_("Emotions"), **TEXT)
    body = forms.CharField(label=_("Body"), **TEXT)
    intentions_revisited = forms.CharField(label=_("Intentions revisited"), **TEXT)
    daily_life_actions = forms.CharField(label=_("Actions for daily life"), **TEXT)

    field_order = ["dosing_session", "session_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The course's sessions come from the dosing app (courses sits below it).
        sessions = sessions_of_course(self.course.pk) if self.course else []
        self.fields["dosing_session"].choices = [("", "---------")] + [
            (s.id, _session_label(s)) for s in sessions
        ]

    @classmethod
    def initial_from(cls, note) -> dict:
        return {**super().initial_from(note), "dosing_session": note.dosing_session_id}


class ProgressNoteForm(NoteForm):
    free_text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 8}))


class ProcessNoteForm(NoteForm):
    process_text = forms.CharField(
        label=_("Process note (encrypted; only you and those you share it with can read it)"),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    shared_with = forms.MultipleChoiceField(
        label=_("Share with"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["free_text"]
        team = self.course.client.care_team.select_related("user") if self.course else []
        self.fields["shared_with"].choices = sorted(
            {
                (str(m.user_id), m.user.display_name)
                for m in team
                if self.viewer is None or m.user_id != self.viewer.pk
            },
            key=lambda choice: choice[1],
        )


NOTE_FORMS: dict[str, type[NoteForm]] = {
    NoteKind.PREPARATION: PreparationNoteForm,
    NoteKind.INTEGRATION: IntegrationNoteForm,
    NoteKind.PROGRESS: ProgressNoteForm,
    NoteKind.PROCESS: ProcessNoteForm,
}


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )
