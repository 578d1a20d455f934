"""Signing in over HTTP the way a person does: password, then the authenticator code."""

from __future__ import annotations

import re
from collections.abc import Callable

import requests

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _csrf(session: requests.Session, url: str) -> str:
    response = session.get(url, timeout=30)
    response.raise_for_status()
    match = CSRF_FIELD.search(response.text)
    if match is None:
        raise SystemExit(f"No CSRF token on {url} (status {response.status_code}).")
    return match.group(1)


def sign_in(base: str, email: str, password: str, token: Callable[[], str]) -> requests.Session:
    """A session signed in and past the second factor; `token` gives the current code."""
    session = requests.Session()
    login = f"{base}/accounts/login/"
    response = session.post(
        login,
        data={
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": _csrf(session, login),
        },
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise SystemExit(f"Password sign-in for {email} failed (status {response.status_code}).")
    mfa = f"{base}/accounts/mfa/"
    response = session.post(
        mfa,
        data={"token": token(), "csrfmiddlewaretoken": _csrf(session, mfa)},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise SystemExit(f"Second factor for {email} refused (status {response.status_code}).")
    return session
