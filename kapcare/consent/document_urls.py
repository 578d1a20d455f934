from django.urls import path

from kapcare.consent import views

app_name = "consent_docs"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("new/", views.document_publish, name="publish"),
    path("<int:version>/", views.document_detail, name="detail"),
]
