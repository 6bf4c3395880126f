"""The sandbox's own consent pages, served at a connection's ``clientAction.uiUrl``."""

from __future__ import annotations

from html import escape

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Membrane sandbox</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2330; margin: 0; }}
main {{ max-width: 28rem; margin: 4rem auto; background: #fff; padding: 2rem;
        border-radius: 8px; box-shadow: 0 1px 4px rgba(0, 0, 0, .12); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }}
.note {{ color: #5a6272; font-size: .9rem; }}
.error {{ color: #a61b1b; }}
form {{ display: inline-block; margin: 1rem .5rem 0 0; }}
label {{ display: block; margin: .8rem 0 .2rem; font-weight: 600; }}
input[type=text] {{ width: 100%; padding: .45rem; box-sizing: border-box; }}
button {{ padding: .5rem 1.2rem; border-radius: 4px; border: 1px solid #8a93a6;
          background: #fff; cursor: pointer; font-size: 1rem; }}
button.primary {{ background: #2856c8; color: #fff; border-color: #2856c8; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
{content}
<p class="note">This page belongs to the local Membrane sandbox; no real account is used.</p>
</main>
</body>
</html>
"""


def page(title: str, content: str) -> bytes:
    """A whole page; ``content`` must already be escaped HTML."""
    return _PAGE.format(title=escape(title), content=content).encode()


def consent_page(*, app_name: str, action_url: str, message: str = "") -> bytes:
    """Authorize / Deny, each a plain POST form."""
    content = (
        f"<p><strong>{escape(app_name)}</strong> asks for access to your ConnectWise PSA "
        "records (tickets, companies, contacts, projects, time and expenses).</p>"
        f"{_message(message)}"
        f'<form method="post" action="{escape(action_url)}/authorize">'
        '<button class="primary" type="submit">Authorize</button></form>'
        f'<form method="post" action="{escape(action_url)}/deny">'
        '<button type="submit">Deny</button></form>'
    )
    return page("Connect ConnectWise PSA", content)


def input_page(
    *, action_url: str, site: str = "", company_id: str = "", message: str = ""
) -> bytes:
    """The provide-input step: which PSA site and company to connect to."""
    content = (
        "<p>Which ConnectWise PSA should be connected?</p>"
        f"{_message(message, error=True)}"
        f'<form method="post" action="{escape(action_url)}/input">'
        '<label for="site">PSA site</label>'
        f'<input type="text" id="site" name="site" value="{escape(site)}" '
        'placeholder="api-na.myconnectwise.net" required>'
        '<label for="company_id">Company id</label>'
        f'<input type="text" id="company_id" name="company_id" value="{escape(company_id)}" '
        "required>"
        '<p><button class="primary" type="submit">Continue</button></p></form>'
    )
    return page("ConnectWise PSA details", content)


def status_page(*, title: str, message: str) -> bytes:
    return page(title, f"<p>{escape(message)}</p>")


def _message(message: str, *, error: bool = False) -> str:
    if not message:
        return ""
    css = "error" if error else "note"
    return f'<p class="{css}">{escape(message)}</p>'
