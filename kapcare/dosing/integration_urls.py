from django.urls import path

from kapcare.dosing import integration_views

app_name = "integration"

urlpatterns = [
    path("overdue/", integration_views.overdue, name="overdue"),
]
