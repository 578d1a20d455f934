"""The client chart image, the chart slot on the Measures tab, and the clinic dashboard."""

import re

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditAction, AuditEvent
from tests.factories import ClientFactory, make_staff
from tests.outcomes.conftest import Builder, day
from tests.outcomes.test_charts import chart_points

pytestmark = pytest.mark.django_db


def chart_url(client, code="phq9"):
    return reverse("client_outcomes:chart", args=[client.pk, code])


@pytest.fixture
def scored(build, client_record):
    """The care team's client: a course, two doses, PHQ-9 and GAD-7 before and after."""
    course = build.course(client=client_record)
    build.dose(course, day(1), number=1)
    build.dose(course, day(8), number=2)
    for at, phq, gad in [(day(0), 19, 14), (day(14), 11, 9), (day(30), 7, 5)]:
        build.score(course, "phq9", phq, at)
        build.score(course, "gad7", gad, at)
    build.save()
    return course


# --- the client's chart image ---------------------------------------------------------------


def test_chart_anonymous_is_sent_to_sign_in(client, client_record, scored):
    response = client.get(chart_url(client_record))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_chart_needs_clinical_access(role, staff, client_record, scored, login):
    assert login(staff[role]).get(chart_url(client_record)).status_code == 403


def test_chart_of_a_client_off_the_care_team_or_at_another_clinic_is_not_found(
    clinic, other_clinic, staff, client_record, scored, login
):
    outsider = make_staff(clinic, "therapist")
    assert login(outsider).get(chart_url(client_record)).status_code == 404
    foreign = ClientFactory(clinic=other_clinic)
    assert login(staff["therapist"]).get(chart_url(foreign)).status_code == 404


def test_unknown_instrument_is_not_found(staff, client_record, scored, login):
    assert login(staff["therapist"]).get(chart_url(client_record, "nope")).status_code == 404


def test_chart_is_an_audited_svg_under_a_locked_down_policy(
    staff, client_record, scored, login, django_assert_max_num_queries
):
    http = login(staff["nurse"])
    # Sign-in, session and clinic context take ten; the chart three, its audit row three (the
    # clinic's hash chain head is locked and moved).
    with django_assert_max_num_queries(16):
        response = http.get(chart_url(client_record))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "no-store" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert chart_points(response.content.decode()) == 3
    events = AuditEvent.objects.filter(client=client_record, action=AuditAction.VIEW)
    assert list(events.values_list("object_type", flat=True)) == ["client.outcomes_chart"]


# --- the chart slot on the Measures tab -------------------------------------------------------


def test_measures_tab_shows_chart_table_and_course_outcomes(staff, client_record, scored, login):
    page = login(staff["therapist"]).get(reverse("measures:overview", args=[client_record.pk]))
    body = page.content.decode()

    assert page.status_code == 200
    assert f'src="{chart_url(client_record)}"' in body
    assert f'src="{chart_url(client_record, "gad7")}"' in body
    table = body.split('data-chart-table="phq9"', 1)[1].split("</table>", 1)[0]
    assert [int(s) for s in re.findall(r'data-score="(\d+)"', table)] == [19, 11, 7]
    assert table.count("Dosing session") == 2
    outcome = body.split('data-outcome="phq9"', 1)[1].split("</tr>", 1)[0]
    # Baseline 19 (before the first dose) → last 7: −12 points, 63%, a response, no remission.
    assert "19" in outcome and "7" in outcome and "−12" in outcome and "63%" in outcome


def test_measures_tab_without_scores_has_no_empty_chart(staff, client_record, login):
    page = login(staff["therapist"]).get(reverse("measures:overview", args=[client_record.pk]))
    assert page.status_code == 200 and "client_outcomes" not in page.content.decode()
    assert 'id="kc-outcomes"' not in page.content.decode()


# --- the clinic dashboard ---------------------------------------------------------------------

DASHBOARD = "outcomes:dashboard"


def _cohort(clinic, courses=6):
    build = Builder(clinic)
    for index in range(courses):
        course = build.course(condition=["depression", "ptsd"][index % 2])
        build.dose(course, day(1))
        build.pair(course, "phq9", 20, 6 + index)
        build.pair(course, "gad7", 12, 4)
    build.save()


def test_dashboard_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse(DASHBOARD))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["therapist", "nurse", "front_desk"])
def test_dashboard_is_for_admins_and_prescribers(role, staff, login):
    http = login(staff[role])
    for name in (DASHBOARD, "outcomes:dashboard_chart", "outcomes:dashboard_export"):
        assert http.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", ["clinic_admin", "prescriber"])
def test_dashboard_shows_the_clinics_own_courses(
    role, clinic, other_clinic, staff, login, django_assert_max_num_queries
):
    _cohort(clinic)
    _cohort(other_clinic, courses=10)
    http = login(staff[role])

    # 15: a prescriber's navigation counts the clients waiting in the chair for their review.
    with django_assert_max_num_queries(15):
        page = http.get(reverse(DASHBOARD))

    body = page.content.decode()
    assert page.status_code == 200
    assert '<dd data-stat="n">6</dd>' in body
    assert 'data-group="Depression"' in body and 'data-group="PTSD"' in body
    assert 'id="nhs-groups"' in body
    event = AuditEvent.objects.get(object_type="outcomes.dashboard")
    assert event.action == AuditAction.VIEW and event.client_id is None


def test_dashboard_query_count_does_not_grow_with_data(
    clinic, staff, login, django_assert_max_num_queries
):
    http = login(staff["clinic_admin"])
    _cohort(clinic, courses=2)
    # 16: the audit row appends to the clinic's hash chain (head locked and moved).
    with django_assert_max_num_queries(16) as few:
        http.get(reverse(DASHBOARD) + "?instrument=phq9&group_by=therapist")
    _cohort(clinic, courses=60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        http.get(reverse(DASHBOARD) + "?instrument=phq9&group_by=therapist")


def test_bad_dates_are_an_error_at_the_field(staff, login):
    page = login(staff["clinic_admin"]).get(
        reverse(DASHBOARD), {"date_from": "2026-05-01", "date_to": "2026-04-01"}
    )
    assert page.status_code == 200 and 'data-stat="n"' not in page.content.decode()
    assert "The end date must be on or after the start date." in page.content.decode()
    assert not AuditEvent.objects.filter(object_type="outcomes.dashboard").exists()


def test_unknown_instrument_or_grouping_is_an_error(staff, login):
    http = login(staff["clinic_admin"])
    for bad in ({"instrument": "bdi"}, {"group_by": "zodiac"}):
        page = http.get(reverse(DASHBOARD), bad)
        assert "Select a valid choice." in page.content.decode()
        assert 'data-stat="n"' not in page.content.decode()
        assert http.get(reverse("outcomes:dashboard_chart"), bad).status_code == 400
        assert http.get(reverse("outcomes:dashboard_export"), bad).status_code == 400


def test_dashboard_chart_is_an_svg(clinic, staff, login):
    _cohort(clinic)
    response = login(staff["prescriber"]).get(reverse("outcomes:dashboard_chart"))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "Depression" in response.content.decode()
    assert AuditEvent.objects.filter(object_type="outcomes.dashboard_chart").count() == 1


def test_csv_export_has_a_row_per_group_and_the_total_and_is_audited(clinic, staff, login):
    _cohort(clinic)
    therapist = make_staff(clinic, "therapist", full_name="=HYPERLINK(evil)")
    build = Builder(clinic)
    course = build.course(therapist=therapist)
    build.dose(course, day(1))
    build.pair(course, "phq9", 15, 5)
    build.save()
    response = login(staff["clinic_admin"]).get(
        reverse("outcomes:dashboard_export"), {"group_by": "therapist"}
    )
    lines = b"".join(response.streaming_content).decode().splitlines()

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("group,instrument,settings_version,baseline_rule,")
    assert lines[1].startswith("'=HYPERLINK(evil),phq9,0,pre_dose_1,1,1,0,")
    assert lines[2].startswith("All courses,phq9,0,pre_dose_1,7,7,0,")
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_type="outcomes.dashboard"
    ).exists()


def test_outcomes_nav_item_is_role_gated(staff, login):
    url = reverse(DASHBOARD)
    assert url in login(staff["prescriber"]).get(reverse("home:home")).content.decode()
    assert url not in login(staff["therapist"]).get(reverse("home:home")).content.decode()


def test_dashboard_groups_by_quarter_and_names_quarters(clinic, staff, login):
    _cohort(clinic, courses=2)
    body = login(staff["clinic_admin"]).get(reverse(DASHBOARD), {"group_by": "period"})
    text = body.content.decode()
    assert body.status_code == 200 and 'data-group="2026 Q1"' in text
