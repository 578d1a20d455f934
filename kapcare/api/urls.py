from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from kapcare.api import clinical_views, ledger_views, views

app_name = "api"

# SimpleRouter: no browsable root view and no .json suffixes; the schema lists the endpoints.
router = SimpleRouter()
router.register("clients", views.ClientViewSet, basename="client")
router.register("care-team-members", views.CareTeamMemberViewSet, basename="care-team-member")
router.register("courses", clinical_views.CourseViewSet, basename="course")
router.register(
    "instrument-definitions",
    clinical_views.InstrumentDefinitionViewSet,
    basename="instrument-definition",
)
router.register(
    "measure-assignments", clinical_views.MeasureAssignmentViewSet, basename="measure-assignment"
)
router.register("responses", clinical_views.ResponseViewSet, basename="response")
router.register("risk-alerts", clinical_views.RiskAlertViewSet, basename="risk-alert")
router.register("dosing-sessions", clinical_views.DosingSessionViewSet, basename="dosing-session")
router.register("ledger-entries", ledger_views.LedgerEntryViewSet, basename="ledger-entry")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path(
        "docs/",
        login_not_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema", template_name="api/swagger_ui.html"
            )
        ),
        name="docs",
    ),
    # Anything else under /api/ is a JSON 404 too, not the staff site's HTML page.
    re_path(r"^", views.no_such_endpoint),
]
