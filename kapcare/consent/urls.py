from django.urls import path

from kapcare.consent import views

app_name = "consent"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("sign/", views.sign, name="sign"),
    path("link/", views.send_link, name="link"),
    path("withdraw/", views.withdraw, name="withdraw"),
]
