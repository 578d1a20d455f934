from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.throttles import Throttled, check_sign_in_allowed


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _(
            "That e-mail and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account is switched off. Ask your clinic admin."),
    }

    throttled: Throttled | None = None

    def clean(self):
        # Before any password is checked: a connection that has failed too often, across
        # accounts, learns nothing more until its wait is over.
        if self.request is not None:
            try:
                check_sign_in_allowed(self.request)
            except Throttled as throttled:
                self.throttled = throttled
                raise forms.ValidationError(throttled.text, code="throttled") from None
        return super().clean()


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isalnum():
            raise forms.ValidationError(
                _("Enter the 6 digits, or a recovery code, with no symbols.")
            )
        return token


class EnrolmentForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code shown in your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits your app shows right now.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ClinicSwitchForm(forms.Form):
    clinic = forms.IntegerField()
