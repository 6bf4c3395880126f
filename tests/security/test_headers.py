"""Security headers on every page: a CSP with no inline script, frames refused, no sniffing;
in production also HSTS, HTTPS only, and cookies marked Secure. (`check --deploy` with the
production settings: tests/foundation/test_settings.py.)"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from psaportal.accounts import roles
from tests.security.routes import ROUTES

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def directives(policy: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


@pytest.mark.django_db
def test_every_page_carries_the_headers_and_no_inline_script(
    answering_client, real_objects, make_member
):
    admin = make_member(roles.ADMIN)
    objects = real_objects(admin)
    answering_client.force_login(admin)
    pages = 0
    for route in ROUTES:
        response = answering_client.get(objects.path(route))
        where = route.name
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == "'self'", where
        assert policy["frame-ancestors"] == "'none'", where
        assert policy["object-src"] == "'none'", where
        assert "unsafe" not in response["Content-Security-Policy"], where
        assert response["X-Frame-Options"] == "DENY", where
        assert response["X-Content-Type-Options"] == "nosniff", where
        assert response["Referrer-Policy"] == "same-origin", where
        if response.status_code == 200 and "html" in response["Content-Type"]:
            pages += 1
            body = response.content.decode()
            assert not INLINE_SCRIPT.search(body), where
            assert not EVENT_ATTRIBUTE.search(body), where
    assert pages > 30


# Run with the production settings; only the static files are served unhashed (this test
# has not run collectstatic; test_settings checks the manifest).
PRODUCTION_CHECK = """
from django.conf import settings
from django.test.utils import override_settings
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
from django.core.management import call_command
from django.test import Client
from psaportal.accounts import roles
from django.contrib.auth import get_user_model
call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("tess", password="correct-horse-battery-9")
roles.set_role(user, roles.TECHNICIAN)
client = Client(HTTP_HOST="portal.example.com")
print("plain", client.get("/login/").status_code, client.get("/login/")["Location"])
page = client.get("/login/", secure=True)
print("hsts", page["Strict-Transport-Security"])
print("csrf-cookie-secure", bool(page.cookies["csrftoken"]["secure"]))
login = client.post(
    "/login/", {"username": "tess", "password": "correct-horse-battery-9"}, secure=True
)
print("session-cookie", login.status_code, bool(login.cookies["sessionid"]["secure"]),
      bool(login.cookies["sessionid"]["httponly"]))
"""


def test_production_sends_hsts_and_secure_cookies_only_over_https(tmp_path):
    keep = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    env = {key: value for key, value in os.environ.items() if key not in keep}
    env.update(
        DEBUG="0",
        SECRET_KEY="x7!" * 20 + "production-only",
        ALLOWED_HOSTS="portal.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        DJANGO_SETTINGS_MODULE="psaportal.settings",
    )
    script = "import django; django.setup()\n" + PRODUCTION_CHECK
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "plain 301 https://portal.example.com/login/" in lines
    assert "hsts max-age=31536000; includeSubDomains; preload" in lines
    assert "csrf-cookie-secure True" in lines
    assert "session-cookie 302 True True" in lines
