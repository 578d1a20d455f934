from django.urls import path

from kapcare.clients import staff_views as views

app_name = "staff_care_team"

urlpatterns = [
    path("<int:user_id>/care-teams/", views.staff_care_team_add, name="add"),
    path(
        "<int:user_id>/care-teams/<int:member_id>/remove/",
        views.staff_care_team_remove,
        name="remove",
    ),
]
