from django.urls import path

from kapcare.measures import views

app_name = "measures"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("enter/<slug:code>/", views.enter, name="enter"),
    path("responses/<int:response_id>/", views.response_detail, name="response"),
    path("assignments/<int:assignment_id>/link/", views.send_link, name="send_link"),
    path("request/", views.request_measure, name="request"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
]
