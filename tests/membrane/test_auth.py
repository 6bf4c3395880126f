"""Bearer tokens: the sandbox's token check, and JWT minting in the client."""

import time

import httpx
import jwt
import pytest

from psaportal.membrane import API_VERSION, AuthError, MembraneClient, WorkspaceToken

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def raw_get(sandbox, headers):
    return httpx.get(f"{sandbox.url}/connections", headers=headers)


def test_missing_token_is_401_with_membrane_error_body(clean_sandbox):
    response = raw_get(clean_sandbox, {})
    assert response.status_code == 401
    assert response.json()["key"] == "not_authenticated"
    assert {"type", "key", "message", "data"} <= response.json().keys()


@pytest.mark.parametrize("token", ["pat-wrong", "sandbox-token", "not.a.jwt"])
def test_a_wrong_token_gets_membranes_not_authenticated_key(sandbox, token):
    response = raw_get(sandbox, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["key"] == "not_authenticated"
    assert "not valid" in response.json()["message"]


def test_the_default_token_is_a_personal_access_token(sandbox):
    # The SDK takes only a JWT or a "pat-…" token; anything else it tries to decode and refuses.
    assert sandbox.token == "pat-sandbox-token"
    response = raw_get(sandbox, {"Authorization": f"Bearer {sandbox.token}"})
    assert response.status_code == 200


def test_wrong_token_raises_auth_error(sandbox):
    with MembraneClient(base_url=sandbox.url, token="pat-wrong") as client:
        with pytest.raises(AuthError) as caught:
            list(client.list_connections())
    assert caught.value.status == 401
    assert "not valid" in str(caught.value)


def test_configured_token_is_accepted(clean_sandbox, membrane_client):
    assert list(membrane_client.list_connections()) == []


def test_workspace_jwt_is_minted_and_accepted(clean_sandbox):
    with MembraneClient(
        base_url=clean_sandbox.url,
        workspace_key=clean_sandbox.workspace_key,
        workspace_secret=clean_sandbox.workspace_secret,
        tenant_key="tenant-1",
    ) as client:
        assert list(client.list_connections()) == []
        claims = jwt.decode(
            client.auth.token(), clean_sandbox.workspace_secret, algorithms=["HS256"]
        )
    assert claims["id"] == "tenant-1"
    assert claims["iss"] == clean_sandbox.workspace_key
    assert claims["exp"] - time.time() == pytest.approx(3600, abs=5)


def test_jwt_signed_with_another_secret_is_refused(sandbox):
    with MembraneClient(
        base_url=sandbox.url, workspace_key=sandbox.workspace_key, workspace_secret="other"
    ) as client:
        with pytest.raises(AuthError):
            list(client.list_connections())


def test_jwt_for_another_workspace_is_refused(sandbox):
    with MembraneClient(
        base_url=sandbox.url, workspace_key="other", workspace_secret=sandbox.workspace_secret
    ) as client:
        with pytest.raises(AuthError, match="another workspace"):
            list(client.list_connections())


def test_expired_jwt_is_refused(sandbox):
    token = jwt.encode(
        {"id": "t", "iss": sandbox.workspace_key, "exp": int(time.time()) - 5},
        sandbox.workspace_secret,
        algorithm="HS256",
    )
    response = raw_get(sandbox, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["key"] == "not_authenticated"
    assert "expired" in response.json()["message"]


def test_token_is_reminted_when_less_than_a_minute_remains():
    now = [1_000_000.0]
    auth = WorkspaceToken(
        workspace_key="ws", workspace_secret="secret", tenant_key="t", clock=lambda: now[0]
    )
    first = auth.token()
    now[0] += 3500  # 100 s left: still good
    assert auth.token() == first
    now[0] += 45  # 55 s left: re-mint
    second = auth.token()
    assert second != first
    claims = jwt.decode(second, "secret", algorithms=["HS256"], options={"verify_exp": False})
    assert claims["exp"] == int(now[0]) + 3600


def test_every_request_carries_bearer_token_and_api_version():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, json={"items": []})

    with MembraneClient(
        base_url="https://membrane.test", token="pat-1", transport=httpx.MockTransport(answer)
    ) as client:
        list(client.list_connections())
    assert seen[0].headers["authorization"] == "Bearer pat-1"
    assert seen[0].headers["membrane-api-version"] == API_VERSION == "2025-10-21"


def test_client_needs_some_credentials():
    with pytest.raises(ValueError, match="token"):
        MembraneClient(base_url="https://membrane.test")
