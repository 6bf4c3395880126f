"""Shared test set-up. Fixture modules live in tests/fixtures/ and are listed here."""

import os

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# beside it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = [
    "tests.fixtures.users",
    "tests.fixtures.celery",
    "tests.fixtures.browser",
    "tests.fixtures.sandbox",
]
