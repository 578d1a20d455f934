from django.urls import path

from kapcare.screening import views

app_name = "protocols"

urlpatterns = [
    path("screening/", views.protocol, name="screening"),
    path("screening/new-version/", views.protocol_edit, name="screening_edit"),
]
