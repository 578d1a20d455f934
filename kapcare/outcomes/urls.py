from django.urls import path

from kapcare.outcomes import settings_views, views

app_name = "outcomes"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chart.svg", views.dashboard_chart, name="dashboard_chart"),
    path("export.csv", views.dashboard_export, name="dashboard_export"),
    path("settings/", settings_views.settings_page, name="settings"),
    path("settings/new-version/", settings_views.settings_edit, name="settings_edit"),
]
