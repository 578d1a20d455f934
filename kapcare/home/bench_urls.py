from django.urls import path

from kapcare.home import bench

app_name = "bench"

urlpatterns = [
    path("bare", bench.bare, name="bare"),
    path("floor", bench.floor, name="floor"),
]
