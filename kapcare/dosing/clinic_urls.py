from django.urls import path
from django.views.generic import RedirectView

from kapcare.dosing import review_views, views

app_name = "dosing_clinic"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dosing_clinic:today"), name="index"),
    path("today/", views.today, name="today"),
    path("reviews/<int:request_id>/", review_views.review_link, name="review"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
    ),
]
