"""The Celery app. Without REDIS_URL, settings make every task run in-process (eager)."""

import gc
import os

from celery import Celery
from celery.signals import task_prerun, worker_process_init
from django.db import close_old_connections

from psaportal import request_id  # noqa: F401 - connects the request id's task signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psaportal.settings")

app = Celery("psaportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(  # the records packages
    ["psaportal.records.sync", "psaportal.records.changes", "psaportal.records.notes"]
)


@worker_process_init.connect
def freeze_startup_objects(**kwargs):
    # Sync pages parse into ~100,000 objects each; without this every full garbage collection
    # also walks Django's start-up objects, a third of a page's parse time.
    gc.freeze()


@task_prerun.connect
def drop_unusable_connections(sender=None, **kwargs):
    # The worker keeps its connection between tasks (CELERY_DB_REUSE_MAX): like Django
    # before a request, close one that errored or outlived CONN_MAX_AGE, and health-check
    # the rest on first use. Not in-process: that would close a request's connection.
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()
