from django.urls import path

from psaportal.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:slug>/", views.report, name="report"),
    path("<slug:slug>/<slug:table>.csv", views.report_export, name="export"),
]
