from django.urls import path

from psaportal.actions import views

app_name = "actions"

urlpatterns = [
    path("", views.console, name="console"),
    path("search/", views.search_start, name="search-start"),
    path("searches/<int:search_id>/", views.search_results, name="search"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run-detail"),
    path("runs/<int:run_id>/output/", views.run_output, name="run-output"),
    path("runs/<int:run_id>/again/", views.run_again, name="run-again"),
    path("runs/<int:run_id>/<str:part>.json", views.run_download, name="run-download"),
    path("<int:action_id>/", views.action_detail, name="detail"),
    path("<int:action_id>/run/", views.action_run, name="run"),
]
