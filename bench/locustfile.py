"""Mixed staff traffic for `make load` (bench/load.py starts the server and signs everyone in).

Each user class reuses a session signed in by bench/load.py for its role (a code from an
authenticator can be used once, so twenty users cannot each sign in within a minute); the URLs
were reversed there from the seeded data. Loopback only: load.py passes --host 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, constant, task

CONTEXT = json.loads(open(os.environ["BENCH_LOAD_CONTEXT"]).read())  # noqa: SIM115
BACKGROUND = {"X-Kapcare-Background": "poll", "HX-Request": "true"}


class _Staff(HttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        self.client.cookies.update(CONTEXT["cookies"][self.role])
        self.urls = CONTEXT["urls"]

    def open(self, key: str, *, name: str | None = None, **kwargs) -> None:
        url = self.urls[key]
        with self.client.get(
            url, name=name or key, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                response.failure(f"{url} answered {response.status_code}")


class FrontDesk(_Staff):
    """Looks people up and works the inquiry queue."""

    role = "front_desk"
    weight = 3
    wait_time = between(1, 3)

    @task(3)
    def client_list(self) -> None:
        self.open("client_list")

    @task(3)
    def client_search(self) -> None:
        term = random.choice(CONTEXT["search_terms"])
        self.open("client_list", name="client_search", params={"q": term})

    @task(2)
    def inquiries(self) -> None:
        self.open("inquiries")

    @task(1)
    def inquiry(self) -> None:
        if "inquiry" in self.urls:
            self.open("inquiry")


class Clinician(_Staff):
    """A therapist between sessions: home, a client's page and its tabs, a note."""

    role = "therapist"
    weight = 4
    wait_time = between(1, 4)

    @task(2)
    def home(self) -> None:
        self.open("home")

    @task(3)
    def client_tab(self) -> None:
        self.open(random.choice(CONTEXT["tabs"]))

    @task(1)
    def note(self) -> None:
        if "note" in self.urls:
            self.open("note")


class Nurse(_Staff):
    """At the chair: the live session page polls its panel every 4 seconds, as in the browser,
    with a look at today's board now and then."""

    role = "nurse"
    weight = 3
    wait_time = constant(4)

    @task(6)
    def poll_live_panel(self) -> None:
        self.open("live_panel", headers=BACKGROUND)

    @task(1)
    def live_session(self) -> None:
        self.open("live")

    @task(1)
    def today(self) -> None:
        self.open("today")
