"""How django-axes names the account a sign-in attempt is for, so wrong passwords add up."""

from django.http import HttpRequest


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The e-mail address the attempt is for, trimmed and lower-cased.

    axes would otherwise look for a credential named after USERNAME_FIELD ("email"), but the
    login form authenticates with `username=`, so no failure was ever counted. Sign-in matches
    e-mail case-insensitively, so the lockout must too, or varying the case would dodge it.
    """
    if credentials and credentials.get("username"):
        value = credentials["username"]
    else:
        value = getattr(request, "POST", {}).get("username")
    if not value:
        return None
    return str(value).strip().lower()
