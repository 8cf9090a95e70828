from django.urls import path

from . import views

app_name = "anatomy"

urlpatterns = [
    path("", views.home, name="home"),
]
