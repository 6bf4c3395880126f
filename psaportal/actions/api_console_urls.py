from django.urls import path

from psaportal.actions import api_console_views as views

app_name = "api_console"

urlpatterns = [
    path("", views.console, name="console"),
    path("send/", views.send, name="send"),
    path("history/", views.history, name="history"),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/response/", views.response, name="response"),
    path("<int:request_id>/follow/", views.follow, name="follow"),
    path("<int:request_id>/answer", views.download, name="download"),
]
