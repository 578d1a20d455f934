from django.urls import path

from kapcare.dosing import protocol_views

app_name = "dosing_protocol"

urlpatterns = [
    path("", protocol_views.protocol, name="detail"),
    path("new-version/", protocol_views.protocol_edit, name="edit"),
]
