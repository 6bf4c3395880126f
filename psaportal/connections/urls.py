from django.urls import path

from psaportal.connections import views

app_name = "connections"

urlpatterns = [
    path("", views.connection_page, name="page"),
    path("connect/", views.connection_connect, name="connect"),
    path("check/", views.connection_check, name="check"),
]
