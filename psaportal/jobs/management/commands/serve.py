"""`python manage.py serve`: the production-like run on one machine. gunicorn serves the
pages, Celery workers do the background work and Celery beat sends the scheduled tasks,
all against DATABASE_URL and REDIS_URL, until interrupted; if one of them stops, all stop.

On more machines, run each part on its own (README, "Deployment"): this command only starts
them together."""

import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

#: gunicorn's access log line: address, request, status, bytes, milliseconds, request id.
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'


def web_command(*, bind: str, processes: int, threads: int) -> list[str]:
    # gthread: a few processes for the cores, threads to overlap each one's database waits.
    # A process takes a connection only when it has a thread free for it, and closes it after
    # the answer (the TLS proxy keeps its clients' connections open): the next request goes
    # to whichever process is free, not to the one its connection happened to land on, and
    # requests beyond what all threads can serve wait their turn in the kernel's queue.
    return [
        sys.executable, "-m", "gunicorn", "psaportal.wsgi",
        f"--bind={bind}",
        f"--workers={processes}",
        "--worker-class=gthread",
        f"--threads={threads}",
        f"--worker-connections={threads}",
        "--keep-alive=0",
        "--access-logfile=-",
        f"--access-logformat={ACCESS_LOG_FORMAT}",
        "--forwarded-allow-ips=127.0.0.1,::1",
    ]  # fmt: skip


def worker_command(*, number: int, concurrency: int) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "psaportal", "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        f"--hostname=worker{number}@%h",
    ]  # fmt: skip


def beat_command(*, schedule: Path) -> list[str]:
    schedule.parent.mkdir(parents=True, exist_ok=True)
    return [
        sys.executable, "-m", "celery", "-A", "psaportal", "beat",
        "--loglevel=INFO",
        f"--schedule={schedule}",
    ]  # fmt: skip


class Command(BaseCommand):
    help = "Run gunicorn, Celery workers and Celery beat together until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="gunicorn's address")
        parser.add_argument("--web-processes", type=int, default=3)
        parser.add_argument("--web-threads", type=int, default=4, help="per web process")
        parser.add_argument("--workers", type=int, default=2, help="Celery worker nodes")
        parser.add_argument(
            "--worker-concurrency", type=int, default=1, help="task processes per worker node"
        )
        parser.add_argument("--no-beat", action="store_true", help="another machine runs beat")
        parser.add_argument(
            "--beat-schedule",
            type=Path,
            default=settings.BASE_DIR / "var" / "celerybeat-schedule",
            help="where beat keeps the last run of each scheduled task",
        )

    def handle(self, *args, **options):
        if not settings.REDIS_URL:
            raise CommandError("serve runs Celery workers: set REDIS_URL (and DATABASE_URL).")
        commands = {
            "web": web_command(
                bind=options["bind"],
                processes=options["web_processes"],
                threads=options["web_threads"],
            )
        }
        for number in range(1, options["workers"] + 1):
            commands[f"worker{number}"] = worker_command(
                number=number, concurrency=options["worker_concurrency"]
            )
        if not options["no_beat"]:
            commands["beat"] = beat_command(schedule=options["beat_schedule"])

        stopping = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.append(True))
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}
        self.stdout.write(f"serve: {', '.join(processes)} started on {options['bind']}")
        try:
            while not stopping:
                ended = [name for name, process in processes.items() if process.poll() is not None]
                if ended:
                    raise CommandError(f"{', '.join(ended)} stopped; stopping the rest.")
                time.sleep(0.5)  # the supervisor's own pace, not a test wait
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
