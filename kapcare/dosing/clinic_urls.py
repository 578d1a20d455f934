from django.urls import path

from kapcare.dosing import views

app_name = "dosing_clinic"

urlpatterns = [
    path("today/", views.today, name="today"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
    ),
]
