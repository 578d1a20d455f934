from django.urls import path

from kapcare.outcomes import client_views

app_name = "client_outcomes"

urlpatterns = [
    path("chart/<slug:code>.svg", client_views.trajectory_chart, name="chart"),
]
