"""The load run in short, on CI: the production-like run (`manage.py serve`: gunicorn, a
worker, beat) with a few logged-in users of each role for a few seconds. No timing is
asserted here (`make bench BENCH=load` measures); only that nothing failed and that each
role's pages were used."""

import os
import tempfile

import pytest
from django.conf import settings

from psaportal.records import registry
from psaportal.records.models import Ticket
from psaportal.records.sync import services as sync_services
from tests.bench.load_plan import load_plan
from tests.bench.load_runner import free_port, run_locust, serve
from tests.bench.static_files import static_collected
from tests.fixtures.celery import _database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mirrored_connection(psa_connection, celery_worker_process):
    """The sandbox's PSA mirrored by a full sync (run in-process)."""
    job = sync_services.sync_start(connection=psa_connection, kinds=list(registry.sync_order()))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert Ticket.objects.filter(connection=psa_connection).exists()
    return psa_connection


def test_users_of_every_role_browse_and_edit_without_an_error(mirrored_connection, sandbox):
    plan = load_plan(connection=mirrored_connection, sessions_per_role=2)
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": f"psaportal-load-smoke-{os.getpid()}",
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,  # the plan's sessions are signed with it
            "BEHIND_TLS_PROXY": "1",
            "MEMBRANE_API_URL": sandbox.url,
            "MEMBRANE_TOKEN": sandbox.token,
        }
        port = free_port()
        options = ("--web-processes=1", "--workers=1", f"--beat-schedule={folder}/beat")
        with static_collected(env) as env, serve(env, port=port, options=options):
            result = run_locust(
                host=f"http://127.0.0.1:{port}", plan=plan, users=6, seconds=8, env=env
            )
    assert result["errors"] == 0, result["failures"]
    for role in ("technician", "manager", "admin"):
        hits = sum(count for name, count in result["by_name"].items() if name.startswith(role))
        assert hits > 0, f"no {role} pages in {result['by_name']}"
