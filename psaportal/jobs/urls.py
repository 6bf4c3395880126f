from django.urls import path

from psaportal.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:job_id>/", views.job_detail, name="detail"),
    path("<int:job_id>/try-now/", views.job_try_now, name="try_now"),
    path("<int:job_id>/requeue/", views.job_requeue, name="requeue"),
    path("<int:job_id>/mark-failed/", views.job_mark_failed, name="mark_failed"),
    path("worker-check/", views.worker_check, name="worker_check"),
]
