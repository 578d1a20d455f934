"""The one helper that puts a service's ValidationError on a form."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from kapcare.core.forms import add_service_errors


class NameForm(forms.Form):
    name = forms.CharField()
    dose_mg = forms.CharField(required=False)


def _bound() -> NameForm:
    form = NameForm({"name": "Ana", "dose_mg": "5"})
    assert form.is_valid()
    return form


def test_a_message_for_a_field_the_form_has_lands_at_that_field():
    # given a valid form
    form = _bound()
    # when the service refuses the name
    add_service_errors(form, ValidationError({"name": "Taken."}))
    # then the message is at the field, not above the form
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == []


def test_unknown_fields_and_non_field_errors_go_above_the_form():
    # given a valid form
    form = _bound()
    # when the service names a field the form lacks and a form-wide problem
    add_service_errors(
        form, ValidationError({"lot": "Expired.", NON_FIELD_ERRORS: "Locked.", "name": "Bad."})
    )
    # then nothing is lost: the unknown field's and the form-wide message are above the form
    assert sorted(form.non_field_errors()) == ["Expired.", "Locked."]
    assert form.errors["name"] == ["Bad."]


def test_a_plain_message_list_goes_above_the_form():
    form = _bound()
    add_service_errors(form, ValidationError(["One.", "Two."]))
    assert form.non_field_errors() == ["One.", "Two."]


def test_aliases_rename_the_service_field_to_the_form_field():
    # given a form that calls the service's quantity_mg dose_mg
    form = _bound()
    # when the service refuses quantity_mg (by a mapping) and item x (by a function)
    add_service_errors(
        form, ValidationError({"quantity_mg": "Too much."}), {"quantity_mg": "dose_mg"}
    )
    add_service_errors(form, ValidationError({"me": "Short."}), lambda key: f"na{key}")
    # then each message is at the form's own field
    assert form.errors["dose_mg"] == ["Too much."]
    assert form.errors["name"] == ["Short."]
