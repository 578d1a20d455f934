"""The pages the benchmark visits: named by URL name, each with the role that opens it and the
ids it needs, picked from the seeded data. The client page's tabs come from the tab registry
(kapcare.clients.tabs), so a new tab is measured without editing this list.

Importing this module needs Django set up; `PAGES` and `client_tab_pages` need no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kapcare.accounts.models import Role

FRONT_DESK = Role.FRONT_DESK.value
THERAPIST = Role.THERAPIST.value
PRESCRIBER = Role.PRESCRIBER.value
NURSE = Role.NURSE.value
ADMIN = Role.CLINIC_ADMIN.value
ROLES = (FRONT_DESK, THERAPIST, PRESCRIBER, NURSE, ADMIN)


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    role: str
    # Names of the picked ids (see `pick_ids`) the URL takes, in order.
    args: tuple[str, ...] = ()
    query: dict[str, str] = field(default_factory=dict)
    # A request the page makes by itself (the live session's poll): sent as background.
    background: bool = False
    # An API endpoint: asked with a bearer token of `role` (scopes user/*.rs) instead of a
    # signed-in session; `path` is its address, formatted with the picked ids.
    path: str = ""

    @property
    def api(self) -> bool:
        return bool(self.path)


# The floors first: every other page is reported as a ratio to the authenticated floor.
FLOORS = [
    Page("bare view (no session)", "bench:bare", ""),
    Page("authenticated floor", "bench:floor", THERAPIST),
]

PAGES = [
    Page("home (therapist)", "home:home", THERAPIST),
    Page("home (nurse)", "home:home", NURSE),
    Page("client list", "clients:list", FRONT_DESK),
    Page("client search", "clients:list", FRONT_DESK, query={"q": "{search}"}),
    Page("inquiries", "inquiries:queue", FRONT_DESK),
    Page("today's dosing board", "dosing_clinic:today", NURSE),
    Page("live dosing session", "dosing:live", NURSE, args=("client", "session")),
    Page(
        "live session poll",
        "dosing:panel",
        NURSE,
        args=("client", "session"),
        background=True,
    ),
    Page("clinical note", "courses:note_detail", THERAPIST, args=("client", "note")),
    Page("measure response", "measures:response", THERAPIST, args=("client", "response")),
    Page("measures due", "measures_admin:due", THERAPIST),
    Page("measure instruments", "measures_admin:instruments", ADMIN),
    Page("outcomes dashboard", "outcomes:dashboard", PRESCRIBER),
    Page("audit log", "audit:log", ADMIN),
    Page("ledger home", "ledger:home", PRESCRIBER),
    Page("ledger lots", "ledger:lots", PRESCRIBER),
    Page("ledger lot", "ledger:lot", PRESCRIBER, args=("lot",)),
    Page("ledger entries", "ledger:entries", PRESCRIBER),
    Page("ledger entry", "ledger:entry", PRESCRIBER, args=("entry",)),
    Page("ledger reports", "ledger:reports", PRESCRIBER),
    Page("ledger period report", "ledger:period", PRESCRIBER),
    Page("ledger counts", "ledger:counts", PRESCRIBER),
    Page("ledger client report", "ledger:client_report", PRESCRIBER, args=("client",)),
    Page("staff list", "staff:list", ADMIN),
]


# REST and FHIR endpoints (kapcare.api, kapcare.fhir): the searches an outside system makes.
API_PAGES = [
    Page("REST clients", "", THERAPIST, path="/api/v1/clients/"),
    Page("FHIR Patient search", "", THERAPIST, path="/fhir/Patient?_count=20"),
    Page("FHIR Patient read", "", THERAPIST, path="/fhir/Patient/{client}"),
    Page(
        "FHIR Questionnaire by code",
        "",
        THERAPIST,
        path="/fhir/Questionnaire?code=http://loinc.org%7C44249-1",
    ),
    Page(
        "FHIR QuestionnaireResponse search",
        "",
        THERAPIST,
        path="/fhir/QuestionnaireResponse?patient={client}&_sort=-authored",
    ),
    Page(
        "FHIR Observation search",
        "",
        THERAPIST,
        path="/fhir/Observation?patient={client}&_sort=-date",
    ),
    Page("FHIR Encounter search", "", THERAPIST, path="/fhir/Encounter?patient={client}"),
]


def client_tab_pages() -> list[Page]:
    """One page per client tab, opened by a therapist, or by an admin for a tab only admins see
    (the care team, the access log): the roles come from the client permission policy."""
    from kapcare.clients.permissions import POLICY
    from kapcare.clients.tabs import TABS

    return [
        Page(
            f"client tab: {tab.key}",
            tab.url_name,
            THERAPIST if tab.action in POLICY[Role.THERAPIST].actions else ADMIN,
            args=("client",),
        )
        for tab in TABS
    ]


def all_pages() -> list[Page]:
    return FLOORS + PAGES[:4] + client_tab_pages() + PAGES[4:] + API_PAGES
