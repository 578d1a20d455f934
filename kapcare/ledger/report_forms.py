from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def for_request(cls, data, today: dt.date) -> PeriodForm:
        """Bound to the query string, or to this month so far when it has no dates."""
        if not data.get("date_from") and not data.get("date_to"):
            data = {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
        return cls(data)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        if start and end and (end - start).days > 3 * 366:
            self.add_error("date_from", _("Choose at most three years at a time."))
        return cleaned


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=_("Client's name"), max_length=100, required=False)
