from django.urls import path

from kapcare.accounts import staff_views as views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("invite/", views.staff_invite, name="invite"),
    path("<int:user_id>/", views.staff_detail, name="detail"),
    path("<int:user_id>/roles/", views.staff_roles, name="roles"),
    path("<int:user_id>/deactivate/", views.staff_deactivate, name="deactivate"),
    path("<int:user_id>/reactivate/", views.staff_reactivate, name="reactivate"),
    path("<int:user_id>/unlock/", views.staff_unlock, name="unlock"),
    path("<int:user_id>/invitation/", views.staff_resend_invitation, name="resend_invitation"),
    path(
        "<int:user_id>/reset-authenticator/",
        views.staff_reset_authenticator,
        name="reset_authenticator",
    ),
    path("invitation/<uidb64>/<token>/", views.accept_invitation, name="accept_invitation"),
]
