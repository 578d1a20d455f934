"""The benchmark's floors exist only on the benchmark server, and its page list still names real
pages. No timing here: that is `make bench`."""

import importlib

import pytest
from django.conf import settings as django_settings
from django.urls import NoReverseMatch, clear_url_caches, resolve, reverse

import kapcare.urls
from bench.pages import all_pages, client_tab_pages
from bench.report import analyse
from kapcare.accounts.models import Role
from kapcare.clients.tabs import TABS
from kapcare.home.bench import QUERY_COUNT_HEADER


def _reload_urls() -> None:
    importlib.reload(kapcare.urls)
    clear_url_caches()


@pytest.fixture
def bench_server(settings):
    """The settings the benchmark server runs with (KAPCARE_BENCH_VIEWS=1 in its environment)."""
    settings.KAPCARE_BENCH_VIEWS = True
    settings.MIDDLEWARE = ["kapcare.home.bench.QueryCountMiddleware", *settings.MIDDLEWARE]
    _reload_urls()
    yield
    settings.KAPCARE_BENCH_VIEWS = False
    _reload_urls()


def test_the_floors_do_not_exist_by_default(client, staff, login):
    # Given the ordinary settings (production and the test suite)
    assert django_settings.KAPCARE_BENCH_VIEWS is False
    assert "kapcare.home.bench.QueryCountMiddleware" not in django_settings.MIDDLEWARE

    # Then neither floor has a URL, and a signed-in request for one is a 404 without a count
    with pytest.raises(NoReverseMatch):
        reverse("bench:floor")
    response = login(staff[Role.THERAPIST]).get("/bench/floor")
    assert response.status_code == 404
    assert QUERY_COUNT_HEADER not in response
    assert client.get("/bench/bare").status_code == 404


def test_the_bare_view_answers_anyone_without_touching_the_database(bench_server, client):
    # When a request with no cookies asks for the bare view on the bench server
    response = client.get(reverse("bench:bare"))

    # Then it is answered, and the server says it ran no query
    assert response.status_code == 200
    assert response[QUERY_COUNT_HEADER] == "0"


def test_the_authenticated_floor_needs_a_signed_in_member(bench_server, client, staff, login):
    # When an anonymous request asks for the floor, it is sent to sign in
    anonymous = client.get(reverse("bench:floor"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))

    # When a verified therapist asks, the full stack runs and the count is reported
    response = login(staff[Role.THERAPIST]).get(reverse("bench:floor"))
    assert response.status_code == 200
    assert int(response[QUERY_COUNT_HEADER]) > 0


def test_every_page_the_benchmark_visits_reverses(bench_server):
    # Given the harness's page list (the client tabs come from the tab registry)
    pages = all_pages()
    assert {page.url_name for page in client_tab_pages()} == {tab.url_name for tab in TABS}

    # Then every URL name in it reverses with as many ids as it says it takes, and every API
    # endpoint's path resolves to a view
    for page in pages:
        if page.api:
            path = page.path.format(client=1).split("?")[0]
            assert resolve(path).namespace in ("api", "fhir"), page.label
            continue
        assert reverse(page.url_name, args=[1] * len(page.args)).startswith("/"), page.label


def test_a_query_count_that_grows_with_data_is_a_failure():
    # Given a page whose query count is 12 at 1,000 clients and 14 at 100,000
    def run(queries, status=200):
        page = {
            "statuses": [status],
            "p50_ms": 10.0,
            "p95_ms": 12.0,
            "queries": queries,
            "html_bytes": 100,
            "throughput_rps": 50.0,
        }
        floor = {**page, "queries": 4}
        return {"pages": {"authenticated floor": floor, "client list": page}}

    analysis = analyse({1000: run(12), 100000: run(14)})

    # Then the run fails naming the page; the same counts at both sizes do not fail
    assert any("client list" in failure for failure in analysis["failures"])
    assert analyse({1000: run(12), 100000: run(12)})["failures"] == []
    assert analyse({1000: run(12), 100000: run(12, status=302)})["failures"]
