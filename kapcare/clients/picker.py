"""A client chosen by typing, for forms whose clients would otherwise be a <select> of every
client of the clinic (100,000 options at scale).

The input is plain text: a record number or the client's name, submitted as typed, works with
no script at all. With HTMX, typing fills the input's <datalist> from `clients:suggest` (at
most `SUGGESTIONS` clients the user may see), so the browser offers them as a native, accessible
combobox; choosing one puts "Jane Ashby (#123)" in the input, which names the record exactly.
The field is always named `client`: the suggestion endpoint reads that parameter."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kapcare.clients.models import Client
from kapcare.clients.selectors import matching_clients, record_number

MAX_LENGTH = 100


def picker_label(client: Client) -> str:
    return f"{client.full_name} (#{client.pk})"


class ClientPickerInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__(
            {
                "autocomplete": "off",
                "hx-get": reverse_lazy("clients:suggest"),
                "hx-trigger": "input changed delay:250ms",
                "hx-sync": "this:replace",
                "hx-swap": "innerHTML",
                "maxlength": MAX_LENGTH,
                **(attrs or {}),
            }
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        options = f"{context['widget']['attrs'].get('id') or name}-options"
        context["widget"]["attrs"].update({"list": options, "hx-target": f"#{options}"})
        context["options_id"] = options
        return context

    def format_value(self, value):
        if isinstance(value, Client):
            return picker_label(value)
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        field = self._render(self.template_name, context, renderer)
        return format_html('{}<datalist id="{}"></datalist>', field, context["options_id"])


class ClientPickerField(forms.CharField):
    """Cleans to one Client of `queryset` (set it in the form's __init__), or None when empty
    and not required. A name that matches several clients is an error at the field naming
    the way out (pick a suggestion, or type the record number)."""

    widget = ClientPickerInput

    def __init__(self, *, queryset: QuerySet[Client] | None = None, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        kwargs.setdefault("help_text", _("Type a name or a record number."))
        super().__init__(**kwargs)
        self.queryset = queryset if queryset is not None else Client.objects.none()

    def prepare_value(self, value):
        if isinstance(value, int):
            client = self.queryset.filter(pk=value).first()
            return picker_label(client) if client else value
        return value

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        found = list(matching_clients(self.queryset, text)[:2])
        if len(found) == 1:
            return found[0]
        if record_number(text) is not None:
            raise forms.ValidationError(
                _("No client has the record number %(n)s."), params={"n": record_number(text)}
            )
        if not found:
            raise forms.ValidationError(_("No client matches “%(text)s”."), params={"text": text})
        raise forms.ValidationError(
            _(
                "Several clients match “%(text)s”: choose one from the suggestions, or type "
                "the record number."
            ),
            params={"text": text},
        )
