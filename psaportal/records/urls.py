from django.urls import path

from psaportal.records import views
from psaportal.records.sync import views as sync_views

app_name = "records"

urlpatterns = [
    path("sync/", sync_views.sync_status, name="sync"),
    path("sync/start/", sync_views.sync_start, name="sync_start"),
    path("<slug:kind>/", views.record_list, name="list"),
    path("<slug:kind>/refresh/", views.list_refresh, name="list_refresh"),
    path("<slug:kind>/export.csv", views.record_export, name="export"),
    path("<slug:kind>/views/", views.saved_view_create, name="saved_view_create"),
    path(
        "<slug:kind>/views/<int:view_id>/delete/",
        views.saved_view_delete,
        name="saved_view_delete",
    ),
    path("<slug:kind>/<int:psa_id>/", views.record_detail, name="detail"),
    path("<slug:kind>/<int:psa_id>/refresh/", views.detail_refresh, name="detail_refresh"),
]
