from django.urls import path

from kapcare.clients import picker_views, views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("suggest/", picker_views.suggest, name="suggest"),
    path("<int:client_id>/", views.client_detail, name="detail"),
    path("<int:client_id>/edit/", views.client_edit, name="edit"),
    path("<int:client_id>/care-team/", views.client_care_team, name="care_team"),
    path(
        "<int:client_id>/care-team/<int:member_id>/remove/",
        views.client_care_team_remove,
        name="care_team_remove",
    ),
    path("<int:client_id>/access-log/", views.client_access_log, name="access_log"),
]
