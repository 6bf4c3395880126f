"""clientAction.uiUrl comes from outside: only safe web addresses become links."""

import pytest

from psaportal.connections.selectors import safe_ui_url
from tests.connections.helpers import page

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://user:pass@ui.example.com/",
    "https:///no-host",
    "https:\\\\evil.example.com",
    "//evil.example.com/x",
    "ftp://ui.example.com/",
    "https://ui.example.com:99999/",
    "http://ui.example.com/plain-http",
    "",
    None,
    42,
]


@pytest.mark.parametrize("url", HOSTILE)
def test_unsafe_urls_are_refused(settings, url):
    settings.DEBUG = True
    assert safe_ui_url(url) is None


def test_https_is_a_link(settings):
    settings.DEBUG = False
    assert safe_ui_url("https://ui.getmembrane.com/connect?x=1") == (
        "https://ui.getmembrane.com/connect?x=1"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_plain_http_only_to_this_machine_and_only_in_debug(settings, host):
    settings.DEBUG = True
    settings.MEMBRANE_API_URL = "http://127.0.0.1:8765"
    assert safe_ui_url(f"http://{host}:8765/ui/connect/1") == f"http://{host}:8765/ui/connect/1"
    settings.DEBUG = False
    assert safe_ui_url(f"http://{host}:8765/ui/connect/1") is None


def test_plain_http_is_refused_when_membrane_is_not_a_local_sandbox(settings):
    settings.DEBUG = True
    settings.MEMBRANE_API_URL = "https://api.getmembrane.com"
    assert safe_ui_url("http://127.0.0.1:8765/ui/connect/1") is None
    assert safe_ui_url("https://ui.getmembrane.com/c/1") == "https://ui.getmembrane.com/c/1"


@pytest.mark.django_db
def test_a_javascript_ui_url_is_shown_as_text_with_a_warning(
    admin_client, client_action_connection, settings
):
    settings.DEBUG = True
    hostile = 'javascript:alert("pwned")//<img src=x onerror=alert(1)>'
    client_action_connection(description="Sign in.", uiUrl=hostile)
    content = page(admin_client).content.decode()
    assert "javascript:" not in content.split('<code class="untrusted-url">')[0]
    assert 'href="javascript' not in content
    assert "<img src=x" not in content
    assert "is not a safe web link" in content
    assert "javascript:alert(&quot;pwned&quot;)//&lt;img src=x onerror=alert(1)&gt;" in content


@pytest.mark.django_db
def test_description_and_instructions_are_escaped(admin_client, client_action_connection):
    client_action_connection(
        description="<script>alert(1)</script>",
        agentInstructions='<a href="javascript:x">click</a>',
        uiUrl="https://ui.example.com/ok",
    )
    content = page(admin_client).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert 'href="javascript:x"' not in content
    assert 'href="https://ui.example.com/ok" target="_blank" rel="noopener noreferrer"' in content
