"""Text messages through a pluggable backend, like Django's e-mail backends.

`settings.SMS_BACKEND` names the class: `ConsoleBackend` (development: the message is written to
standard output), `LocmemBackend` (tests: messages are kept in `outbox`), or a clinic's own
class wrapping its SMS provider — any class with `send(to, body)`."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "kapcare.core.sms.ConsoleBackend"


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


# What LocmemBackend sent, oldest first (tests clear it).
outbox: list[TextMessage] = []


class BaseBackend:
    def send(self, to: str, body: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()


class LocmemBackend(BaseBackend):
    def send(self, to: str, body: str) -> None:
        outbox.append(TextMessage(to=to, body=body))


def send_sms(to: str, body: str) -> None:
    backend = import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))
    backend().send(to, body)
