"""Find every URL and every POST form of kapcare from the URL conf, in a world of real objects.

`build_world()` loads the demo clinic, adds dosing sessions in every step and one staff member
(`omni`) who holds every role at the clinic and is on every client's care team. `url_specs()`
walks `get_resolver().url_patterns`; `fill()` gives each URL's path parameters the ids of real
objects (parents derived from the child, so a session's URL names that session's client).
`forms_in()` reads the POST forms of a page's HTML. Nothing here is a hand list of URLs: a new
URL whose parameter this module cannot fill makes the tests fail, naming the parameter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

# --- The world ------------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    clinic: object
    omni: object  # every role, on every care team
    demo: dict  # the demo's own staff, by key
    bystander: object  # a user whose password-reset link the fuzz may spend
    unenrolled: object  # a staff member without an authenticator yet


STAFF_TARGET_EMAIL = "fuzz-target@example.org"
DEACTIVATED_EMAIL = "fuzz-gone@example.org"
INVITEE_EMAIL = "fuzz-invitee@example.org"
# The staff pages act on these only: an active member, a deactivated one, an open invitation.
STAFF_TARGETS = (STAFF_TARGET_EMAIL, DEACTIVATED_EMAIL, INVITEE_EMAIL)


def build_world() -> World:
    from kapcare.accounts.actor import Actor
    from kapcare.accounts.api_tokens import issue_token
    from kapcare.accounts.models import Clinic, Membership, Role
    from kapcare.accounts.staff_services import deactivate_staff_member, invite_staff_member
    from kapcare.clients.models import CareTeamMember, Client
    from kapcare.clients.models.client import CARE_TEAM_ROLES
    from kapcare.courses.models import NoteKind
    from kapcare.courses.services.notes import create_note
    from kapcare.dosing import services as dosing
    from kapcare.dosing.models import DosingNotification, DosingSession
    from kapcare.dosing.services.review import ask_prescriber
    from kapcare.home.demo import load_demo
    from kapcare.ledger.models import Balance
    from kapcare.ledger.services.disposals import report_loss
    from tests.dosing import helpers
    from tests.factories import ClientFactory, make_staff
    from tests.pathway import COMPLETE_PREPARATION, ready_course

    clinic, demo = load_demo()
    omni = make_staff(clinic, *Role.values, full_name="Dr. Omni Every-Role", credentials="MD")
    team = {
        "therapist": demo["therapist"],
        "prescriber": demo["prescriber"],
        "nurse": demo["nurse"],
        "front_desk": demo["frontdesk"],
        "clinic_admin": demo["admin"],
    }

    def new_client(first):
        client = ClientFactory(clinic=clinic, first_name=first, last_name="Fuzz")
        for role in CARE_TEAM_ROLES:
            CareTeamMember.objects.create(clinic=clinic, client=client, user=team[role], role=role)
        return client

    # Sessions at every step the live page shows: scheduled, checked in, checks done (one
    # passing, one needing review), dose given.
    nurse = Actor.for_user(team["nurse"], clinic)
    kit = helpers.products(clinic)
    lot = helpers.receive(clinic, team, kit["vial"], kit["safe"], 5000, lot_number="FUZZ-1")

    def chair(first, check=None):
        client = new_client(first)
        course = ready_course(clinic=clinic, staff=team, client=client)
        helpers.iv_order(clinic, team, course)
        session = dosing.schedule_session(actor=nurse, course=course, scheduled_for=helpers.ago(60))
        if check is False:
            return session
        dosing.check_in(actor=nurse, session=session, at=helpers.ago(35))
        if check is not None:
            # The pre-session questionnaires the schedule asks for, in Measures before the
            # checks (a session only checked in still lacks them: the page offers to enter them).
            helpers.questionnaires(clinic, team, client, course, at=helpers.ago(32))
            dosing.record_pre_dose_check(
                actor=nurse,
                session=session,
                data={**helpers.GOOD_CHECK, **check},
                recorded_at=helpers.ago(30),
            )
        return session

    chair("Scheduled", check=False)
    chair("Checkedin")
    ready = chair("Ready", check={})
    chair("Review", check={"systolic": 185, "diastolic": 112})
    # above the review line, below the stop line: the nurse asks the prescriber
    asked = chair("Asked", check={"systolic": 146, "diastolic": 84})
    given = chair("Dosing", check={})
    helpers.give_dose(clinic, team, {"nurse": nurse, "session": given, "lot": lot, "kit": kit})
    # A reading with alerts (acknowledged per reading), and a chair's request for review.
    dosing.record_vitals(
        actor=nurse,
        session=given,
        recorded_at=helpers.ago(5),
        values={"systolic": 186, "diastolic": 112, "heart_rate": 88, "spo2": 89},
    )
    ask_prescriber(actor=nurse, session=asked)
    for client in Client.objects.filter(clinic=clinic):
        for role in CARE_TEAM_ROLES:
            CareTeamMember.objects.get_or_create(clinic=clinic, client=client, user=omni, role=role)
    session = DosingSession.objects.filter(clinic=clinic).first()
    DosingNotification.objects.create(
        clinic=clinic, recipient=omni, session=session, message="Fuzz world notice"
    )
    balance = Balance.objects.filter(lot__clinic=clinic, quantity_mg__gt=0).first()
    report_loss(
        actor=Actor.for_user(demo["admin"], clinic),
        lot=balance.lot,
        location=balance.location,
        quantity_mg=Decimal("1"),
        kind="lost",
        discovered_at=timezone.now() - dt.timedelta(hours=1),
        circumstances="Fuzz world: one vial not found at the count.",
    )
    # A draft note of omni's own (only its author edits or signs a draft).
    create_note(
        actor=Actor.for_user(omni, clinic),
        course=ready.course,
        kind=NoteKind.PREPARATION,
        session_date=clinic.today(),
        content=COMPLETE_PREPARATION,
    )
    # A second clinic, so the clinic switcher is shown.
    elsewhere = Clinic.objects.create(name="Elsewhere (fuzz)", time_zone="America/New_York")
    Membership.objects.create(clinic=elsewhere, user=omni, role=Role.THERAPIST)
    # Someone who has not enrolled an authenticator yet (the MFA set-up page).
    unenrolled = make_staff(clinic, Role.THERAPIST, mfa=False, full_name="New Starter")
    # The staff member the staff pages act on (never omni: deactivating the fuzzer's own
    # account would only end the run), and an invitation still open.
    admin = Actor.for_user(demo["admin"], clinic)
    make_staff(clinic, Role.THERAPIST, full_name="Fuzz Target", email=STAFF_TARGET_EMAIL)
    gone = make_staff(clinic, Role.NURSE, full_name="Fuzz Gone", email=DEACTIVATED_EMAIL)
    deactivate_staff_member(actor=admin, user=gone, reason="Left the clinic (fuzz world).")
    invite_staff_member(
        actor=admin,
        email=INVITEE_EMAIL,
        full_name="Fuzz Invitee",
        roles=[Role.NURSE],
        site_url="http://testserver",
    )
    # An API token the tokens page offers to revoke.
    issue_token(actor=admin, user=demo["therapist"], scopes="user/*.rs", label="Fuzz world token")
    return World(
        clinic=clinic, omni=omni, demo=demo, bystander=demo["frontdesk"], unenrolled=unenrolled
    )


# --- The URL conf ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class UrlSpec:
    name: str  # namespace:name
    route: str
    params: tuple[str, ...]
    callback: Callable

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


# Bearer-token endpoints, not session pages: tests/api (schemathesis over the OpenAPI schema)
# and tests/fhir fuzz them and check their audit rows with a token instead of a signed-in user.
TOKEN_NAMESPACES = {"api", "fhir"}


def url_specs() -> list[UrlSpec]:
    # Parameters are read from the route text: Django shares and updates the `converters` of
    # equal route strings ("measures/" at two levels) once the resolver is populated.
    def walk(patterns, route="", namespace="") -> Iterator[UrlSpec]:
        for pattern in patterns:
            here = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.namespace in TOKEN_NAMESPACES:
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, here, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                params = tuple(_PARAM.findall(here))
                yield UrlSpec(f"{namespace}{pattern.name}", here, params, pattern.callback)

    return list(walk(get_resolver().url_patterns))


def _models():
    from kapcare.accounts.models import ApiToken, User
    from kapcare.clients.models import CareTeamMember, Client, Inquiry
    from kapcare.consent.models import ConsentDocument
    from kapcare.courses.models import ClinicalNote
    from kapcare.dosing.models import (
        DoseOrder,
        DosingNotification,
        DosingSession,
        MonitoringAlert,
        PreDoseCheck,
        ReviewRequest,
        VitalSign,
    )
    from kapcare.ledger.models import (
        Count,
        DiscrepancyCase,
        LedgerEntry,
        Location,
        LossReport,
        Lot,
        Product,
    )
    from kapcare.measures.models import (
        InstrumentDefinition,
        MeasureAssignment,
        Response,
        RiskAlert,
    )
    from kapcare.screening.models import Screening

    return {
        "client_id": Client,
        "member_id": CareTeamMember,
        "screening_id": Screening,
        "note_id": ClinicalNote,
        "response_id": Response,
        "assignment_id": MeasureAssignment,
        "measures:alert_id": RiskAlert,
        "dosing:alert_id": MonitoringAlert,
        "order_id": DoseOrder,
        "session_id": DosingSession,
        "check_id": PreDoseCheck,
        "inquiry_id": Inquiry,
        "version": ConsentDocument,
        "definition_id": InstrumentDefinition,
        "notification_id": DosingNotification,
        "entry_id": LedgerEntry,
        "lot_id": Lot,
        "report_id": LossReport,
        "count_id": Count,
        "case_id": DiscrepancyCase,
        "product_id": Product,
        "location_id": Location,
        "user_id": User,
        "request_id": ReviewRequest,
        "vital_id": VitalSign,
        "token_id": ApiToken,
    }


def _instrument_codes(world):
    from kapcare.measures.models import InstrumentDefinition

    codes = InstrumentDefinition.objects.filter(clinic=world.clinic).values_list("code", flat=True)
    return sorted(set(codes))


# Parameters that are not an object's id: every value a URL may take.
CHOICES: dict[str, Callable[[World], list[str]]] = {
    "fmt": lambda world: ["csv", "pdf"],
    "code": _instrument_codes,
}

CANDIDATES_PER_URL = 3


def _model_for(spec: UrlSpec, param: str):
    table = _models()
    return table.get(f"{spec.namespace}:{param}") or table.get(param)


def _related(obj, model, depth=3):
    """The `model` instance `obj` points at through its foreign keys (breadth first)."""
    frontier = [obj]
    for _ in range(depth):
        following = []
        for item in frontier:
            if isinstance(item, model):
                return item
            for field in item._meta.concrete_fields:
                if isinstance(field, models.ForeignKey):
                    target = getattr(item, field.name, None)
                    if target is not None:
                        following.append(target)
        frontier = following
    return next((item for item in frontier if isinstance(item, model)), None)


def _value(obj, param):
    return obj.version if param == "version" else obj.pk


def _candidates(model, world: World):
    objects = model._default_manager.all()
    if model._meta.label == "accounts.User":  # staff pages act on the fuzz target only
        objects = objects.filter(email__in=STAFF_TARGETS)
    if any(f.name == "clinic" for f in model._meta.concrete_fields):
        objects = objects.filter(clinic=world.clinic)
    if any(f.name == "recipient" for f in model._meta.concrete_fields):
        objects = objects.filter(recipient=world.omni)
    status = next((f for f in model._meta.concrete_fields if f.name == "status"), None)
    if status is not None:  # one object in each state, newest first
        chosen = {}
        for obj in objects.order_by("-pk"):
            chosen.setdefault(obj.status, obj)
        return list(chosen.values())[:8]
    return list(objects.order_by("-pk")[:CANDIDATES_PER_URL])


class CannotFill(Exception):
    pass


def fill(spec: UrlSpec, world: World) -> list[str]:
    """Concrete paths for `spec`, one per candidate object. Raises CannotFill naming the
    parameter when this module does not know how to fill it (add it to `_models` or
    `CHOICES`, or to `TOKEN_MAKERS` for a public link)."""
    if not spec.params:
        return [reverse(spec.name)]
    if spec.name in TOKEN_MAKERS:
        return [TOKEN_MAKERS[spec.name](world)]
    choice = [p for p in spec.params if p in CHOICES]
    ids = [p for p in spec.params if p not in CHOICES]
    unknown = [p for p in ids if _model_for(spec, p) is None]
    if unknown:
        raise CannotFill(f"{spec.name}: no filler for path parameter(s) {unknown}")
    kwarg_sets = [{}]
    if ids:
        leaf = ids[-1]
        kwarg_sets = []
        for obj in _candidates(_model_for(spec, leaf), world):
            kwargs = {leaf: _value(obj, leaf)}
            for param in ids[:-1]:
                parent = _related(obj, _model_for(spec, param))
                if parent is None:
                    break
                kwargs[param] = _value(parent, param)
            else:
                kwarg_sets.append(kwargs)
    paths = []
    for kwargs in kwarg_sets:
        for values in _product([CHOICES[p](world) for p in choice]):
            paths.append(
                reverse(spec.name, kwargs={**kwargs, **dict(zip(choice, values, strict=True))})
            )
    if not paths:
        raise CannotFill(f"{spec.name}: no object in the fuzz world fits {list(spec.params)}")
    return paths


def _product(lists):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head, *rest)


# --- Public one-time links: a fresh, valid token each time ---------------------------------------


def _intake_link(world):
    from kapcare.accounts.actor import Actor
    from kapcare.clients.models import Client, LinkPurpose
    from kapcare.clients.services.links import create_link

    client = Client.objects.filter(clinic=world.clinic).order_by("pk").first()
    _, token = create_link(
        actor=Actor.for_user(world.omni, world.clinic), client=client, purpose=LinkPurpose.INTAKE
    )
    return reverse("public:intake_link", args=[token])


def _consent_link(world):
    from kapcare.accounts.actor import Actor
    from kapcare.clients.models import Client, LinkPurpose
    from kapcare.clients.services.links import create_link
    from kapcare.consent.selectors import current_document

    client = Client.objects.filter(clinic=world.clinic, last_name="Fuzz").order_by("pk").first()
    _, token = create_link(
        actor=Actor.for_user(world.omni, world.clinic),
        client=client,
        purpose=LinkPurpose.CONSENT,
        target_id=current_document(world.clinic.pk).pk,
    )
    return reverse("consent_public:sign", args=[token])


def _questionnaire_link(world):
    from django.core.exceptions import ValidationError

    from kapcare.accounts.actor import Actor
    from kapcare.measures.models import AssignmentStatus, MeasureAssignment
    from kapcare.measures.services import create_questionnaire_link

    actor = Actor.for_user(world.omni, world.clinic)
    pending = MeasureAssignment.objects.filter(
        clinic=world.clinic, status=AssignmentStatus.PENDING
    ).order_by("pk")
    for assignment in pending:
        try:
            _, token = create_questionnaire_link(actor=actor, assignment=assignment)
        except ValidationError:
            continue
        return reverse("measures_public:fill", args=[token])
    raise CannotFill("measures_public:fill: no pending questionnaire with its item text")


def _password_reset_link(world):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = world.bystander
    return reverse(
        "accounts:password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )


def _invitation_link(world):
    from kapcare.accounts.invitations import invitation_tokens, invitation_uid
    from kapcare.accounts.models import User

    invitee = User.objects.get(email=INVITEE_EMAIL)
    return reverse(
        "staff:accept_invitation",
        args=[invitation_uid(invitee), invitation_tokens.make_token(invitee)],
    )


TOKEN_MAKERS: dict[str, Callable[[World], str]] = {
    "staff:accept_invitation": _invitation_link,
    "public:intake_link": _intake_link,
    "consent_public:sign": _consent_link,
    "measures_public:fill": _questionnaire_link,
    "accounts:password_reset_confirm": _password_reset_link,
}


# --- Forms in a page ------------------------------------------------------------------------------


@dataclasses.dataclass
class Field:
    name: str
    kind: str  # text, hidden, select, checkbox, radio, textarea, number, date, …
    values: list[str]  # what the page offers or has filled in


@dataclasses.dataclass
class Form:
    action: str  # a path
    fields: dict[str, Field]


class _FormParser(HTMLParser):
    def __init__(self, page_path):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self.links: list[str] = []  # same-site links with a query string
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def _field(self, name, kind):
        field = self._form.fields.get(name)
        if field is None:
            field = self._form.fields[name] = Field(name, kind, [])
        return field

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "?" in (attrs.get("href") or ""):
            link = urlsplit(urljoin("http://testserver" + self.page_path, attrs["href"]))
            if link.netloc == "testserver":
                self.links.append(f"{link.path}?{link.query}")
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                action = urljoin("http://testserver" + self.page_path, attrs.get("action") or "")
                parts = urlsplit(action)
                self._form = Form(parts.path + (f"?{parts.query}" if parts.query else ""), {})
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag in ("input", "button") and name:
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            if kind == "file":
                return
            field = self._field(name, kind)
            value = attrs.get("value")
            if value is None and kind in ("checkbox", "radio"):
                value = "on"
            if value is not None:
                field.values.append(value)
        elif tag == "select" and name:
            self._select = self._field(name, "select")
        elif tag == "option" and self._select is not None:
            self._select.values.append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = self._field(name, "textarea")
            self._textarea.values.append("")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values[-1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_page(html: str, page_path: str) -> tuple[list[Form], list[str]]:
    """The page's POST forms, and its same-site links that carry a query string."""
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms, parser.links
