"""Production settings pass Django's deploy checks; the embedded defaults work on their own;
a mistyped variable stops start-up; `.env.example` lists every variable."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from psaportal.settings import env_bool

ROOT = Path(__file__).resolve().parents[2]
# A variable the settings read: env_bool("X", …), env_int(…), env_list(…), os.environ.get("X" …)
# or os.environ["X"].
SETTINGS_READ = re.compile(r'(?:env_\w+\(|os\.environ\.get\(|os\.environ\[)\s*"([A-Z0-9_]+)"')
# DEBUG off needs a SECRET_KEY; this one is long and varied enough for the deploy checks.
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x7!" * 20 + "production-only"}


def _manage(*args, env_overrides, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        env_overrides={
            **PRODUCTION,
            "ALLOWED_HOSTS": "portal.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_collectstatic_builds_the_production_manifest(tmp_path):
    # Production serves hashed, compressed files from the manifest; a vendored file that
    # points at a missing one (a source map, say) fails here rather than on deploy.
    result = _manage(
        "collectstatic",
        "--no-input",
        tmp_path=tmp_path,
        env_overrides={
            **PRODUCTION,
            "STATIC_ROOT": str(tmp_path / "static"),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    for vendored in ("vendor/htmx-2.0.11.min.js", "vendor/pico-2.1.1.min.css", "css/app.css"):
        assert f'"{vendored}"' in manifest


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", tmp_path=tmp_path, env_overrides={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_defaults_run_a_job_in_process(tmp_path):
    """SQLite and eager tasks, as a newcomer's first run has them."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'first-run.sqlite3'}"}
    assert _manage("migrate", "--no-input", env_overrides=env, tmp_path=tmp_path).returncode == 0
    script = (
        "from psaportal.jobs import services, tasks\n"
        "job = services.job_start(kind='worker_selftest', label='x', user=None,"
        " task=tasks.worker_selftest, args=(2, 0))\n"
        "job.refresh_from_db(); print(job.status, job.progress_done, job.progress_total)\n"
    )
    result = _manage("shell", "-c", script, env_overrides=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "succeeded 2 2"


@pytest.mark.django_db
def test_pages_load_no_third_party_assets(technician_client):
    content = technician_client.get("/").content.decode()
    assert "http://" not in content.replace("http://testserver", "")
    assert "https://" not in content


def _settings(*names, env_overrides):
    """Import the settings in a fresh interpreter with ``env_overrides`` and print ``names``."""
    script = "from psaportal import settings\n" + "".join(
        f"print(repr(settings.{name}))\n" for name in names
    )
    env = {key: value for key, value in os.environ.items() if key not in env_overrides}
    env.update(env_overrides)
    command = [sys.executable, "-c", script]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_env_example_lists_every_variable_the_settings_read():
    read = set(SETTINGS_READ.findall((ROOT / "psaportal" / "settings.py").read_text()))
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert {"DEBUG", "DATABASE_URL", "MEMBRANE_TIMEOUT_SECONDS"} <= read  # the pattern still finds
    assert read - listed == set()


def test_yes_no_variables_take_any_case_and_empty_is_the_default():
    result = _settings(
        "DEBUG",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        env_overrides={
            **PRODUCTION,
            "DEBUG": "Off",
            "BEHIND_TLS_PROXY": " YES ",
            "SECURE_SSL_REDIRECT": "",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "False",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "True",
    ]


@pytest.mark.parametrize(
    "value, expected",
    [("1", True), ("0", False), ("True", True), ("FALSE", False), ("yes", True), ("No", False)]
    + [("on", True), ("oFF", False), ("", "default")],
)
def test_env_bool_reads_the_accepted_words(monkeypatch, value, expected):
    monkeypatch.setenv("PSA_PORTAL_TEST_FLAG", value)
    assert env_bool("PSA_PORTAL_TEST_FLAG", "default") == expected


@pytest.mark.parametrize(
    "name, value, complaint",
    [
        ("DEBUG", "ture", "use 1/0, true/false, yes/no or on/off"),
        ("AXES_FAILURE_LIMIT", "five", "is not a whole number"),
        ("MEMBRANE_TIMEOUT_SECONDS", "30s", "is not a number of seconds"),
        ("TASK_RETRY_BACKOFF_SECONDS", "-1", "is not a number of seconds"),
        ("TASK_RETRY_AFTER_MAX_SECONDS", "nan", "is not a number of seconds"),
        ("SITE_URL", "portal.example.com", "is not an http(s) address"),
        ("RECORDS_DELETE_GUARD_SHARE", "20%", "is not a share from 0 to 1"),
        ("RECORDS_DELETE_GUARD_SHARE", "1.5", "is not a share from 0 to 1"),
    ],
)
def test_a_mistyped_variable_stops_start_up_naming_it(name, value, complaint):
    result = _settings("DEBUG", env_overrides={name: value})
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("django.core.exceptions.ImproperlyConfigured:")
    assert f"{name}={value!r}" in error and complaint in error


def test_a_mistyped_production_only_number_stops_start_up():
    result = _settings(
        "SECURE_HSTS_SECONDS",
        env_overrides={
            **PRODUCTION,
            "SECURE_HSTS_SECONDS": "1y",
        },
    )
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS='1y' is not a whole number" in result.stderr
