"""Hostile input to every POST form of kapcare (issue 10, item 10).

Every URL of the URL conf is filled with real ids (tests/fuzz/discovery.py) and asked with GET;
every POST form on those pages is a target, as is any URL that takes a POST without a page
holding its form (then its fields must be listed in NO_FORM_FIELDS, with the reason). For each
target, hypothesis posts the form's own values with a few fields (or all) replaced by hostile
ones — 100,000 characters, NUL, CR/LF, right-to-left marks, huge, negative and NaN numbers,
repeated keys, format strings, impossible dates — as a staff member holding every role, on
every care team; public one-time links get a fresh valid token each time.

Each request must not raise (a 500), and must not half-save: either it answers with a redirect
(the house style after a successful post), or with 201 Created (a page that shows what it made
once, e.g. an API token's secret, which must not travel in a URL or the session), or no table
gained or lost a row. Runs on whichever
database DATABASE_URL names (SQLite by default; CI runs PostgreSQL too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import os
import time

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client as DjangoClient
from django.urls import NoReverseMatch, Resolver404, resolve
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from kapcare.dosing.forms import RemsForm
from kapcare.dosing.review_forms import AskReviewForm
from kapcare.home.demo import DEMO_PASSWORD
from kapcare.ledger.count_forms import CloseCaseForm
from kapcare.screening.forms import OverrideForm, ReviewForm
from tests.conftest import signed_in
from tests.dosing.helpers import totp_for
from tests.fuzz.discovery import (
    TOKEN_MAKERS,
    CannotFill,
    Field,
    Form,
    build_world,
    fill,
    read_page,
    url_specs,
)

# Enough to find what the issue listed in well under 3 minutes; raise it locally to dig deeper.
EXAMPLES_PER_FORM = int(os.environ.get("KAPCARE_FUZZ_EXAMPLES", "10"))
STATS: dict[str, list[int]] = {}

# POST URLs the fuzz does not drive, and why. Keep it to URLs whose whole effect is the session.
EXCLUDED = {
    "accounts:logout": "signs the fuzzing user out; it takes no fields",
}

# URLs that take a POST but whose form no page of the fuzz world shows; their fields come from
# the view's form class (or are listed), with the reason.
NO_FORM_FIELDS: dict[str, tuple] = {
    "accounts:session_keepalive": ({}, "posted by the idle-warning script; it takes no fields"),
    "dosing_clinic:index": ({}, "a RedirectView: a POST is redirected like a GET"),
    "screening:review": (
        ReviewForm,
        "shown only while a screening waits for a prescriber; the world's screenings are decided",
    ),
    "screening:override": (
        OverrideForm,
        "shown only for an exclusion the protocol lets a prescriber override",
    ),
    "dosing:rems": (RemsForm, "shown only for an esketamine session"),
    "ledger:case": (CloseCaseForm, "shown only while a discrepancy case is open"),
    "dosing:ask_review": (
        AskReviewForm,
        "offered only to someone at the chair who cannot clear the check; the fuzz user can",
    ),
    "staff:detail": ({}, "a POST to the staff page is redirected to it, like a GET"),
    "staff:unlock": ({}, "shown only while the member is locked out; it takes no fields"),
}

# Rows that a refused request writes on purpose; they do not count as half-saved.
BY_DESIGN = {
    "audit_auditevent": "every page shown and every refusal is audited",
    "django_session": "each example signs in afresh",
    "axes_accessattempt": "failed sign-ins are counted (lockout)",
    "axes_accessfailurelog": "failed sign-ins are counted (lockout)",
    "axes_accesslog": "sign-ins are logged",
    "audit_auditchain": "the audit trail's hash-chain head, made with a clinic's first event",
    "core_ratelimithit": "failed sign-ins and reset requests count against the address",
}

HOSTILE = [
    "",
    " ",
    "x" * 100_000,
    "é東" * 50_000,
    "\x00",
    "a\x00b",
    "line\r\nbreak",
    "\r\n\r\n",
    "tab\there",
    "\u202eevil\u202c",
    "\u200f\u200e\ufeff",
    "😀" * 10,
    "{0}",
    "{}",
    "%s",
    "%(x)s %d",
    "{x.__class__}",
    "{0.__init__.__globals__}",
    "{{7*7}}",
    "%",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    "-0",
    "-1",
    "0",
    "99999999999999999999999999999999",
    "-99999999999999999999999999999999",
    "9" * 400,
    "0.000000000000000000001",
    "12.345678901234567890",
    "1,5",
    "0x10",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "31/12/2026",
    "2026-01-01T25:61",
    "10000-01-01T00:00",
    "24:61",
    "true",
    "on",
    "null",
    "[]",
    "{}",
    "'; DROP TABLE clients_client; --",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "=cmd|' /C calc'!A0",
]


# Explicit examples for every form: each field set to the same hostile value.
SWEEP = [
    "a\x00b",
    "%s {0} %(x)s {x.__class__}",
    "x" * 100_000,
    "line\r\nbreak \u202eevil",
    "NaN",
    ["-1e309", "2026-02-30"],
]


def _valid_values(field: Field, world) -> list[str | None]:
    """What a careful user would send: the page's own values, else a plausible one."""
    offered = [v for v in field.values if v != ""]
    name = field.name.lower()
    if field.kind in ("checkbox",):
        return [*offered, None]
    if field.kind in ("radio", "select") and offered:
        return offered
    if offered:
        return offered
    now = timezone.localtime(timezone.now(), timezone.get_current_timezone())
    if "signature" in name or name.endswith("_name") or name == "typed_name":
        return [world.omni.full_name]
    if "email" in name or name == "username":
        return [world.demo["nurse"].email]
    if "password" in name:
        return [DEMO_PASSWORD]
    if "token" in name or name in ("otp", "code"):
        return [totp_for(world.demo["nurse"])]
    if field.kind == "date" or name.endswith(("_on", "_date", "date_of_birth")):
        return [now.date().isoformat()]
    if field.kind == "datetime-local" or name.endswith("_at"):
        return [(now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")]
    if field.kind == "number":
        return ["1", "10"]
    return ["Fuzz: a plain, sensible sentence of text.", ""]


hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(lambda d: d.isoformat()),
)
hostile_value = st.one_of(
    hostile_text,
    st.lists(hostile_text, min_size=2, max_size=3),  # repeated keys
    st.none(),  # the field left out
)


@st.composite
def submission(draw, form: Form, world) -> dict:
    names = sorted(form.fields)
    if names:
        hostile = draw(
            st.one_of(
                st.sets(st.sampled_from(names), min_size=1, max_size=2),
                st.just(set(names)),
                st.just(set()),
            )
        )
    else:
        hostile = set()
    data = {}
    for name in names:
        if name in hostile:
            value = draw(hostile_value)
        else:
            value = draw(st.sampled_from(_valid_values(form.fields[name], world)))
        if value is not None:
            data[name] = value
    if draw(st.booleans()):  # an unexpected field too
        data[draw(st.sampled_from(["id", "clinic", "pk", "x\r\ny", "{0}", "%s"]))] = draw(
            hostile_text
        )
    return data


# --- Discovery --------------------------------------------------------------------------------


@dataclasses.dataclass
class Target:
    name: str
    path: str
    form: Form
    persona: str  # who posts it: see PERSONAS


def _password_only(world):
    """Signed in with the password, second factor not given yet (the MFA step)."""
    http = DjangoClient()
    http.force_login(world.omni)
    return http


PERSONAS = {
    "staff": lambda world: signed_in(world.omni),
    "public": lambda world: DjangoClient(),
    "password_only": _password_only,
    "unenrolled": lambda world: signed_in(world.unenrolled),
}


def _is_public(spec) -> bool:
    return getattr(spec.callback, "login_required", True) is False


def _takes_post(spec) -> bool:
    """Whether the view does anything with a POST (read from the view, not from a list)."""
    view_class = getattr(spec.callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    if getattr(spec.callback, "post_action_page", None):
        return True
    try:
        source = inspect.getsource(inspect.unwrap(spec.callback))
    except (OSError, TypeError):
        return True  # unknown: treat as a POST view, so it must be found or listed
    return "request.POST" in source or '"POST"' in source


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _fields_of(form_class) -> dict[str, Field]:
    """A form class's fields as a page would show them (for NO_FORM_FIELDS)."""
    fields = {}
    for name, field in form_class.base_fields.items():
        widget = field.widget
        kind = getattr(widget, "input_type", None) or (
            "textarea" if widget.__class__.__name__ == "Textarea" else "select"
        )
        choices = [str(value) for value, _ in getattr(field, "choices", []) if value != ""]
        fields[name] = Field(name, kind, choices)
    return fields


def discover(world) -> tuple[list[Target], list[str]]:
    """Every POST form in every page, one target per (URL name, set of field names)."""
    specs = {spec.name: spec for spec in url_specs()}
    clients = {persona: make(world) for persona, make in PERSONAS.items()}
    targets: dict[tuple[str, frozenset], Target] = {}
    problems: list[str] = []
    links: list[str] = []

    def visit(path, persona):
        response = clients[persona].get(path, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return
        query = response.request.get("QUERY_STRING", "")
        page = response.request["PATH_INFO"] + (f"?{query}" if query else "")
        forms, found_links = read_page(response.content.decode(), page)
        links.extend(found_links)
        for form in forms:
            name = _url_name(form.action.partition("?")[0])
            if name is None or name in EXCLUDED:
                continue
            owner = "public" if _is_public(specs[name]) else persona
            targets.setdefault(
                (name, frozenset(form.fields)), Target(name, form.action, form, owner)
            )

    paths = {}
    for spec in specs.values():
        if spec.name in EXCLUDED:
            continue
        try:
            paths[spec.name] = fill(spec, world)
        except CannotFill as error:
            problems.append(str(error))
            continue
        except NoReverseMatch as error:
            problems.append(f"{spec.name} {spec.params}: {error}")
            continue
        for path in paths[spec.name]:
            visit(path, "public" if _is_public(spec) else "staff")

    def missing():
        found = {target.name for target in targets.values()}
        return [
            spec
            for spec in specs.values()
            if spec.name in paths
            and spec.name not in found
            and spec.name not in EXCLUDED
            and _takes_post(spec)
        ]

    # Forms reached only through a link with a query string (e.g. "new note of this kind"),
    # or only by someone part-way through signing in.
    wanted = {spec.name for spec in missing()}
    for link in dict.fromkeys(links):
        if _url_name(link.partition("?")[0]) in wanted:
            visit(link, "staff")
    for spec in missing():
        for persona in ("password_only", "unenrolled"):
            visit(paths[spec.name][0], persona)

    for spec in missing():
        if spec.name in NO_FORM_FIELDS:
            fields, _reason = NO_FORM_FIELDS[spec.name]
            if not isinstance(fields, dict):
                fields = _fields_of(fields)
            path = paths[spec.name][0]
            persona = "public" if _is_public(spec) else "staff"
            targets[(spec.name, frozenset())] = Target(spec.name, path, Form(path, fields), persona)
        else:
            problems.append(
                f"{spec.name}: takes a POST but no page in the fuzz world holds its form; "
                "put an object in the world that shows it, or list it in NO_FORM_FIELDS"
            )
    return list(targets.values()), problems


# --- Checks -------------------------------------------------------------------------------------


def _tables() -> list[str]:
    names = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(names - set(BY_DESIGN))


def _row_counts(tables) -> dict[str, int]:
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _client_and_path(world, target: Target):
    http = PERSONAS[target.persona](world)
    if target.name not in TOKEN_MAKERS:
        return http, target.path
    # A fresh, valid link each time (a successful post spends it), opened as the client would.
    return http, http.get(TOKEN_MAKERS[target.name](world), follow=True).request["PATH_INFO"]


def _fuzz(world, target: Target, tables, failures: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure is reported as found
        suppress_health_check=list(HealthCheck),
    )
    @given(data=submission(target.form, world))
    def run(data):
        http, path = _client_and_path(world, target)
        before = _row_counts(tables)
        try:
            with transaction.atomic():
                response = http.post(path, data)
        except Exception as error:
            raise AssertionError(f"{type(error).__name__}: {error}"[:2000]) from error
        STATS.setdefault(target.name, []).append(response.status_code)
        assert response.status_code < 500, f"answered {response.status_code}"
        if not (300 <= response.status_code < 400 or response.status_code == 201):
            after = _row_counts(tables)
            changed = {t: (before[t], after[t]) for t in tables if before[t] != after[t]}
            assert not changed, f"answered {response.status_code} but rows changed: {changed}"

    for value in SWEEP:  # every field at once, each hostile kind in turn
        run = example(data={name: value for name in target.form.fields})(run)
    try:
        run()
    except Exception as error:
        failures.append(f"{target.name} POST {target.path}\n    {error}"[:3000])


@pytest.mark.django_db
def test_every_post_form_survives_hostile_input():
    # given the fuzz world and every POST form found in it
    world = build_world()
    targets, problems = discover(world)
    assert len({t.name for t in targets}) >= 40, sorted({t.name for t in targets})
    tables = _tables()
    failures = list(problems)
    started = time.monotonic()
    # when each form is posted with hostile values, as a user who may use every form
    for target in targets:
        _fuzz(world, target, tables, failures)
    # then no request failed with a 500, and none that was refused left rows behind
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)
    if os.environ.get("KAPCARE_FUZZ_STATS"):
        for name, statuses in sorted(STATS.items()):
            print(name, statuses)
    print(f"fuzzed {len(targets)} forms in {time.monotonic() - started:.0f} s")
