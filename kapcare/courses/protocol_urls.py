from django.urls import path

from kapcare.courses import protocol_views

app_name = "care_protocol"

urlpatterns = [path("", protocol_views.care_protocol, name="detail")]
