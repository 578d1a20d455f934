from django.conf import settings
from django.urls import include, path

client_scoped = [
    path("intake/", include("kapcare.clients.intake_urls")),
    path("screening/", include("kapcare.screening.urls")),
    path("consent/", include("kapcare.consent.urls")),
    path("course/", include("kapcare.courses.urls")),
    path("measures/", include("kapcare.measures.urls")),
    path("outcomes/", include("kapcare.outcomes.client_urls")),
    path("dosing/", include("kapcare.dosing.urls")),
]

urlpatterns = [
    path("", include("kapcare.home.urls")),
    path("", include("kapcare.core.urls")),
    path("", include("kapcare.clients.public_urls")),
    path("", include("kapcare.consent.public_urls")),
    path("", include("kapcare.measures.public_urls")),
    path("accounts/", include("kapcare.accounts.urls")),
    path("clients/", include("kapcare.clients.urls")),
    path("clients/<int:client_id>/", include(client_scoped)),
    path("inquiries/", include("kapcare.clients.inquiry_urls")),
    path("protocols/", include("kapcare.screening.protocol_urls")),
    path("protocols/care/", include("kapcare.courses.protocol_urls")),
    path("consent-documents/", include("kapcare.consent.document_urls")),
    path("integration/", include("kapcare.dosing.integration_urls")),
    path("audit/", include("kapcare.home.audit_urls")),
    path("staff/", include("kapcare.accounts.staff_urls")),
    path("staff/", include("kapcare.clients.staff_urls")),
    path("measures/", include("kapcare.measures.admin_urls")),
    path("outcomes/", include("kapcare.outcomes.urls")),
    path("dosing/", include("kapcare.dosing.clinic_urls")),
    path("protocols/dosing/", include("kapcare.dosing.protocol_urls")),
    path("ledger/", include("kapcare.ledger.urls")),
    path("api-tokens/", include("kapcare.api.token_urls")),
    path("api/", include("kapcare.api.urls")),
    path("fhir/", include("kapcare.fhir.urls")),
]

if settings.KAPCARE_BENCH_VIEWS:
    # The benchmark's two floors exist only on the benchmark server (kapcare.home.bench).
    urlpatterns.append(path("bench/", include("kapcare.home.bench_urls")))

handler403 = "kapcare.core.views.error_403"
handler404 = "kapcare.core.views.error_404"
# 500 renders templates/500.html with no context, so it can reveal nothing.
