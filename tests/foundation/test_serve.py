"""`manage.py serve`: what it starts, and a clear refusal without a broker."""

import pytest
from django.core.management import CommandError, call_command

from psaportal.jobs.management.commands import serve


def test_it_refuses_to_start_without_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="set REDIS_URL"):
        call_command("serve")


def test_the_web_process_is_gunicorn_with_threads_and_request_ids_in_its_log():
    command = serve.web_command(bind="127.0.0.1:9000", processes=2, threads=8)
    assert command[1:4] == ["-m", "gunicorn", "psaportal.wsgi"]
    assert {"--bind=127.0.0.1:9000", "--workers=2", "--threads=8", "--worker-class=gthread"} <= set(
        command
    )
    assert "%({x-request-id}o)s" in serve.ACCESS_LOG_FORMAT


def test_a_web_process_takes_a_connection_only_for_a_free_thread():
    """No kept-alive connection ties a client to a busy process while another is idle."""
    command = serve.web_command(bind="127.0.0.1:9000", processes=2, threads=8)
    assert {"--worker-connections=8", "--keep-alive=0"} <= set(command)


def test_each_worker_node_has_its_own_name(tmp_path):
    names = {serve.worker_command(number=n, concurrency=1)[-1] for n in (1, 2)}
    assert names == {"--hostname=worker1@%h", "--hostname=worker2@%h"}
    beat = serve.beat_command(schedule=tmp_path / "var" / "beat")
    assert f"--schedule={tmp_path / 'var' / 'beat'}" in beat
    assert (tmp_path / "var").is_dir()
