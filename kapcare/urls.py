from django.urls import include, path

urlpatterns = [
    path("", include("kapcare.core.urls")),
    path("accounts/", include("kapcare.accounts.urls")),
    path("clients/", include("kapcare.clients.urls")),
    path("audit/", include("kapcare.audit.urls")),
]

handler403 = "kapcare.core.views.error_403"
handler404 = "kapcare.core.views.error_404"
# 500 renders templates/500.html with no context, so it can reveal nothing.
