"""Sending a task: to the Celery worker through Redis, or run here when there is no broker.

``send`` is the one place where the two modes differ. With a broker it is ``apply_async``.
In-process (no ``REDIS_URL``, or tests that run tasks eagerly) it runs the task now, and a
task sent from inside a running task waits in a queue until that one returns: a chain of
a thousand sync pages is a loop, not a thousand nested calls each holding its page. A
task sent for later (a retry's backoff, a poll's pause) never sleeps in a request: it is
written on its Job (``deferred_task``, ``deferred_until``) and ``resume_due`` runs it
once it is due — the job and connect pages call that each time they poll.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from contextlib import contextmanager
from datetime import timedelta

from celery import current_app
from django.utils import timezone
from kombu.exceptions import OperationalError

from psaportal.jobs.models import Job

logger = logging.getLogger(__name__)
_local = threading.local()


def in_process() -> bool:
    """True when tasks run in this process (no broker), as in the embedded default."""
    return bool(current_app.conf.task_always_eager)


def send(task, *args, countdown: float = 0, retries: int = 0) -> bool:
    """Run ``task(*args)`` in the background, after ``countdown`` seconds. False when the
    broker could not be reached and nothing was sent.

    ``retries`` is the number of tries already made (the task reads it as
    ``self.request.retries``). A deferred in-process task is kept on the Job whose id is
    its first argument, so every task sent with a countdown takes a job id first.
    """
    if not in_process():
        try:
            task.apply_async(args, countdown=countdown or None, retries=retries)
        except OperationalError as error:
            # Redis is down (kombu has already retried). The work is still in the database
            # (a pending change, a sync page): the background sweeps send it again.
            logger.warning("could not queue %s%r: %s", task.name, args, error)
            return False
        return True
    if countdown > 0:
        _defer(task, args, countdown=countdown, retries=retries)
        return True
    queue = getattr(_local, "queue", None)
    if queue is not None:
        queue.append((task, args, retries))
        return True
    task.apply(args, retries=retries)
    return True


@contextmanager
def chain_in_process():
    """Around a task's body: in-process, run the tasks it sends once it has returned."""
    if not in_process() or getattr(_local, "queue", None) is not None:
        yield
        return
    _local.queue = deque()
    try:
        yield
        while _local.queue:
            task, args, retries = _local.queue.popleft()
            task.apply(args, retries=retries)
    finally:
        _local.queue = None


def _defer(task, args, *, countdown: float, retries: int) -> None:
    Job.objects.filter(pk=args[0]).update(
        deferred_task={"name": task.name, "args": list(args), "retries": retries},
        deferred_until=timezone.now() + timedelta(seconds=countdown),
    )


def resume_due(*, job_id: int | None = None, now=None) -> int:
    """In-process only: run the deferred tasks that are due (all, or ``job_id``'s even if
    not yet due, for a "retry now"). Returns how many ran."""
    if not in_process():
        return 0
    jobs = Job.objects.filter(deferred_task__isnull=False)
    if job_id is not None:
        jobs = jobs.filter(pk=job_id)
    else:
        jobs = jobs.filter(deferred_until__lte=now or timezone.now())
    ran = 0
    for job in jobs.only("deferred_task", "deferred_until").order_by("deferred_until"):
        # Claimed by a conditional update, so two polls at once do not run it twice.
        claimed = Job.objects.filter(pk=job.pk, deferred_until=job.deferred_until).update(
            deferred_task=None, deferred_until=None
        )
        if not claimed:
            continue
        deferred = job.deferred_task
        send(
            current_app.tasks[deferred["name"]],
            *deferred["args"],
            retries=deferred.get("retries", 0),
        )
        ran += 1
    return ran
