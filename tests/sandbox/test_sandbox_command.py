"""`python manage.py sandbox` as a newcomer runs it: a real process on a free port."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from psaportal.sandbox.psa import PsaSimulator, SeedScale
from psaportal.sandbox.psa import simulator as simulator_module

ROOT = Path(__file__).resolve().parents[2]
#: Hang guard only: seeding 30 tickets takes well under a second.
START_TIMEOUT = 60
TINY_SCALE = (
    "--members", "1", "--companies", "1", "--contacts", "1", "--tickets", "3",
    "--projects", "1", "--opportunities", "1", "--time-entries", "3", "--products", "1",
    "--expense-entries", "1", "--configurations", "1",
)  # fmt: skip


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(*args, tmpdir=None):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.Popen(
        [sys.executable, "manage.py", "sandbox", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_api_url(process):
    """Lines up to the one naming the API URL (read with a hang guard)."""
    seen = []
    reader = iter(process.stdout.readline, "")
    with _alarm(START_TIMEOUT):
        for line in reader:
            seen.append(line)
            if line.startswith("Membrane sandbox API: "):
                return line.split(": ", 1)[1].strip(), seen
    raise AssertionError(f"the sandbox exited without printing its URL: {''.join(seen)}")


class _alarm:
    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def expire(signum, frame):
            raise TimeoutError("the sandbox did not start in time")

        self.previous = signal.signal(signal.SIGALRM, expire)
        signal.alarm(self.seconds)

    def __exit__(self, *exc_info):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)


@pytest.fixture
def sandbox_process():
    processes = []

    def launch(*args, tmpdir=None):
        process = start(*args, tmpdir=tmpdir)
        processes.append(process)
        return process

    yield launch
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def test_the_command_prints_its_url_answers_and_stops_cleanly(sandbox_process):
    port = free_port()
    process = sandbox_process("--port", str(port), "--tickets", "30", "--token", "cmd-token")
    url, output = read_api_url(process)
    assert url == f"http://127.0.0.1:{port}"
    assert any("Seeding" in line for line in output)

    with httpx.Client(base_url=url, timeout=10) as http:
        assert http.get("/").json()["apiUrl"] == url
        assert http.get("/connections", headers={"Authorization": "Bearer nope"}).status_code == 401
        headers = {"Authorization": "Bearer cmd-token"}
        assert http.get("/connections", headers=headers).json() == {"items": []}
        connection = http.post(
            "/connections/ensure", headers=headers, json={"appUrl": "connectwise.com"}
        ).json()
        assert connection["state"] == "BUILDING"

    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "Stopping." in rest and "Traceback" not in rest
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)


def test_the_seed_size_options_are_honoured(sandbox_process):
    process = sandbox_process(
        "--port", str(free_port()), "--tickets", "30", "--auto-authorize", "--build-seconds", "0"
    )
    url, _ = read_api_url(process)
    headers = {"Authorization": "Bearer pat-sandbox-token"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
        connection = http.post("/connections/ensure", json={"appUrl": "connectwise.com"}).json()
        assert http.get(f"/connections/{connection['id']}").json()["state"] == "READY"
        count = http.get(f"/connections/{connection['id']}/proxy/service/tickets/count")
        assert count.json() == {"count": 30}
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)
    assert process.returncode == 0


def test_a_busy_port_is_a_clear_error(sandbox_process):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = sandbox_process("--port", str(taken.getsockname()[1]), "--tickets", "5")
        output, _ = process.communicate(timeout=START_TIMEOUT)
    assert process.returncode != 0
    assert "Cannot listen on 127.0.0.1" in output and "Traceback" not in output


def test_bad_options_are_refused(sandbox_process):
    process = sandbox_process("--port", str(free_port()), "--error-status", "200")
    output, _ = process.communicate(timeout=START_TIMEOUT)
    assert process.returncode != 0
    assert "error_status must be between 500 and 599" in output


def test_sigterm_stops_it_and_removes_the_temporary_psa_data(sandbox_process):
    """`kill`/Popen.terminate() must not leave a /tmp/psa-sandbox-* folder behind."""
    process = sandbox_process("--port", str(free_port()), *TINY_SCALE)
    _, output = read_api_url(process)
    data = Path(
        next(line for line in output if line.startswith("PSA data: ")).split(": ", 1)[1].strip()
    )
    assert data.parent.name.startswith("psa-sandbox-") and data.is_file()

    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "Stopping." in rest and "Traceback" not in rest
    assert not data.parent.exists()


@pytest.mark.parametrize(
    "after_line", ["Seeding the PSA simulator", "PSA data: ", "Membrane sandbox API: "]
)
def test_a_signal_during_start_up_stops_it_cleanly(sandbox_process, tmp_path, after_line):
    """Wherever SIGTERM lands while it starts, the exit is clean and the data is gone."""
    process = sandbox_process("--port", str(free_port()), *TINY_SCALE, tmpdir=tmp_path)
    seen = []
    with _alarm(START_TIMEOUT):
        for line in iter(process.stdout.readline, ""):
            seen.append(line)
            if line.startswith(after_line):
                process.send_signal(signal.SIGTERM)
                break
    rest, _ = process.communicate(timeout=30)
    output = "".join(seen) + rest
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert not list(tmp_path.glob("psa-sandbox-*")), output


def test_an_interrupted_seed_removes_the_temporary_psa_data(tmp_path, monkeypatch):
    """Stopped while seeding (Ctrl+C, or SIGTERM once the command turns it into one)."""

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(simulator_module.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(simulator_module.Seeder, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        PsaSimulator(SeedScale(members=1, companies=1, contacts=1, tickets=1))
    assert list(tmp_path.iterdir()) == []
