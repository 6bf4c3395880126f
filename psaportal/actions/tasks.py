"""The consoles' tasks: thin shells around services.py on the shared task base, so a
passing Membrane error is tried again and a final failure is written on the row too."""

from __future__ import annotations

from celery import shared_task

from psaportal.actions import services
from psaportal.actions.models import ActionRun, ActionSearch, ConsoleWork, ProxyRequest
from psaportal.jobs.tasks import MembraneTask


class ConsoleTask(MembraneTask):
    """A console task whose first argument after the job is its row's id."""

    abstract = True
    model: type[ConsoleWork]

    def give_up(self, job_id, *args, error: str, passing: bool = False) -> None:
        super().give_up(job_id, *args, error=error, passing=passing)
        services.console_work_fail(model=self.model, pk=args[0], error=error)


@shared_task(base=ConsoleTask, bind=True, model=ActionSearch)
def search_actions(self, job_id: int, search_id: int):
    """Ask Membrane for the actions fitting a search's intent."""
    return services.action_search_execute(search_id=search_id)


@shared_task(base=ConsoleTask, bind=True, model=ActionRun)
def run_action(self, job_id: int, run_id: int):
    """Run an action with the run's input."""
    return services.action_run_execute(run_id=run_id)


@shared_task(base=ConsoleTask, bind=True, model=ProxyRequest)
def send_proxy_request(self, job_id: int, request_id: int):
    """Send an API console request through Membrane's proxy."""
    return services.proxy_request_execute(request_id=request_id)
