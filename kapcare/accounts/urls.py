from django.urls import path

from kapcare.accounts import clinic_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/", views.mfa_verify, name="mfa_verify"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("mfa/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("security/", views.security, name="security"),
    path("clinic/", views.switch_clinic, name="switch_clinic"),
    path("clinic/settings/", clinic_views.clinic_settings, name="clinic_settings"),
    path("session/status/", views.session_status, name="session_status"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("password-reset/", views.PasswordResetView, name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.PasswordResetCompleteView, name="password_reset_complete"),
]
