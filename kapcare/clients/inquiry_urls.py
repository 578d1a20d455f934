from django.urls import path

from kapcare.clients import inquiry_views

app_name = "inquiries"

urlpatterns = [
    path("", inquiry_views.queue, name="queue"),
    path("<int:inquiry_id>/", inquiry_views.detail, name="detail"),
    path("<int:inquiry_id>/status/", inquiry_views.set_status, name="status"),
    path("<int:inquiry_id>/convert/", inquiry_views.convert, name="convert"),
]
