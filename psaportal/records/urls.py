from django.urls import path, register_converter

from psaportal.records import views
from psaportal.records.changes import views as change_views
from psaportal.records.converters import RecordKindConverter
from psaportal.records.notes import views as note_views
from psaportal.records.sync import views as sync_views

app_name = "records"
register_converter(RecordKindConverter, "record_kind")

urlpatterns = [
    path("sync/", sync_views.sync_status, name="sync"),
    path("sync/start/", sync_views.sync_start, name="sync_start"),
    path("sync/runs/<int:run_id>/review/", sync_views.sync_review, name="sync_review"),
    path("changes/", change_views.my_changes, name="changes"),
    path("tickets/new/", change_views.ticket_create, name="ticket_create"),
    path("tickets/bulk/", change_views.bulk_edit, name="bulk_edit"),
    path("tickets/<int:psa_id>/time/", change_views.time_log, name="time_log"),
    path("tickets/<int:psa_id>/notes/", note_views.ticket_notes, name="ticket_notes"),
    path("tickets/<int:psa_id>/notes/refresh/", note_views.notes_refresh, name="notes_refresh"),
    path("tickets/<int:psa_id>/notes/new/", note_views.note_add, name="note_add"),
    path("tickets/<int:psa_id>/row/edit/", change_views.ticket_row_edit, name="ticket_row_edit"),
    path(
        "tickets/new/contacts/",
        change_views.ticket_create_contacts,
        name="ticket_create_contacts",
    ),
    path("changes/<int:change_id>/retry/", change_views.change_retry, name="change_retry"),
    path(
        "changes/<int:change_id>/apply-anyway/",
        change_views.change_apply_anyway,
        name="change_apply_anyway",
    ),
    path("changes/<int:change_id>/discard/", change_views.change_discard, name="change_discard"),
    path("<record_kind:kind>/", views.record_list, name="list"),
    path("<record_kind:kind>/refresh/", views.list_refresh, name="list_refresh"),
    path("<record_kind:kind>/export.csv", views.record_export, name="export"),
    path("<record_kind:kind>/views/", views.saved_view_create, name="saved_view_create"),
    path(
        "<record_kind:kind>/views/<int:view_id>/delete/",
        views.saved_view_delete,
        name="saved_view_delete",
    ),
    path("<record_kind:kind>/<int:psa_id>/", views.record_detail, name="detail"),
    path("<record_kind:kind>/<int:psa_id>/row/", views.record_row, name="row"),
    path("<record_kind:kind>/<int:psa_id>/refresh/", views.detail_refresh, name="detail_refresh"),
    path("<record_kind:kind>/<int:psa_id>/edit/", change_views.record_edit, name="edit"),
]
