from django.urls import path

from kapcare.clients import intake_views

app_name = "intake"

urlpatterns = [
    path("", intake_views.intake_detail, name="detail"),
    path("edit/", intake_views.intake_edit, name="edit"),
    path("link/", intake_views.intake_link, name="link"),
]
