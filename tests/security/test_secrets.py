"""The Membrane token and the workspace secret are never in a page, a log line or the audit
trail, whichever way the portal signs in to Membrane, while real work goes through it."""

import logging

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from psaportal.accounts import roles
from psaportal.accounts.models import AuditEntry
from psaportal.actions.models import ProxyRequest
from psaportal.connections.client import membrane_client as app_membrane_client
from tests.security.routes import ROUTES

pytestmark = pytest.mark.django_db

NEW_MEMBER = {
    "username": "newbie", "email": "newbie@example.com", "first_name": "New",
    "last_name": "Bie", "role": roles.TECHNICIAN, "password": "a-long-enough-passphrase",
}  # fmt: skip


@pytest.mark.parametrize("signed_in_with", ["token", "workspace secret"])
def test_membrane_credentials_are_never_shown_logged_or_audited(
    answering_client,
    real_objects,
    make_member,
    settings,
    sandbox,
    caplog,
    signed_in_with,
    django_capture_on_commit_callbacks,
):
    if signed_in_with == "workspace secret":
        settings.MEMBRANE_TOKEN = ""
        settings.MEMBRANE_WORKSPACE_KEY = "sandbox-workspace"
        settings.MEMBRANE_WORKSPACE_SECRET = "sandbox-secret"
        secrets = ["sandbox-secret"]
    else:
        secrets = [sandbox.token]
    app_membrane_client.cache_clear()
    caplog.set_level(logging.DEBUG)
    admin = make_member(roles.ADMIN)
    objects = real_objects(admin)
    client = answering_client
    client.force_login(admin)
    seen = []
    # Real calls to Membrane: a proxied PSA request, an action search, a connection check,
    # and a user change for the audit trail.
    for url, data in [
        (reverse("api_console:send"), {"method": "GET", "path": "/service/tickets"}),
        (reverse("actions:search-start"), {"intent": "list tickets"}),
        (reverse("connections:check"), {}),
        (reverse("accounts:user_create"), NEW_MEMBER),
    ]:
        with django_capture_on_commit_callbacks(execute=True):  # the tasks start on commit
            response = client.post(url, data, follow=True)
        assert response.status_code == 200, url
        seen.append(response.content.decode())
    assert ProxyRequest.objects.exclude(response_status=None).exists()  # it did reach the PSA
    for route in ROUTES:
        client.force_login(admin)
        response = client.get(objects.path(route))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seen.append(str(response.headers) + body.decode(errors="replace"))
    audit = [str(model_to_dict(entry)) for entry in AuditEntry.objects.all()]
    assert audit, "nothing was audited"
    stored = [str(model_to_dict(row)) for row in ProxyRequest.objects.all()]
    for secret in [*secrets, "Bearer ", NEW_MEMBER["password"]]:
        assert not [page for page in seen if secret in page], secret
        assert secret not in caplog.text, secret
        assert not [entry for entry in audit + stored if secret in entry], secret
