"""The Membrane client configured from settings (one per process, so its pool is reused),
and its errors in words a user can act on."""

from functools import lru_cache

from django.conf import settings

from psaportal.membrane import (
    AuthError,
    MalformedResponseError,
    MembraneClient,
    MembraneError,
    NetworkError,
    OutcomeUnknownError,
    PsaError,
    RateLimitError,
    ServerError,
)


def membrane_client() -> MembraneClient:
    """The client for the current settings (a new one only when the settings change)."""
    return _client_for(
        base_url=settings.MEMBRANE_API_URL,
        token=settings.MEMBRANE_TOKEN or None,
        workspace_key=settings.MEMBRANE_WORKSPACE_KEY or None,
        workspace_secret=settings.MEMBRANE_WORKSPACE_SECRET or None,
        tenant_key=settings.MEMBRANE_TENANT_KEY or None,
        timeout=settings.MEMBRANE_TIMEOUT_SECONDS,
    )


@lru_cache(maxsize=4)
def _client_for(**options) -> MembraneClient:
    return MembraneClient(**options)


membrane_client.cache_clear = _client_for.cache_clear


def describe_error(error: Exception) -> str:
    """What went wrong, in words for the person who asked, with what to do about it."""
    if not isinstance(error, MembraneError):
        return f"Something unexpected went wrong ({type(error).__name__}: {error})."
    detail = error.message
    who = "ConnectWise PSA" if isinstance(error, PsaError) else "Membrane"
    if isinstance(error, AuthError):
        return (
            "Membrane refused PSA Portal's credentials. Check MEMBRANE_TOKEN (or the workspace "
            f"key and secret) in the server settings. Membrane said: {detail}"
        )
    if isinstance(error, RateLimitError):
        wait = f" in {round(error.retry_after)} seconds" if error.retry_after else " shortly"
        return f"{who} is receiving too many requests right now. Try again{wait}."
    if isinstance(error, OutcomeUnknownError):
        return detail  # says what happened and what to check
    if isinstance(error, NetworkError):
        return (
            f"Could not reach Membrane at {settings.MEMBRANE_API_URL}. Check that it is "
            "running and reachable from the server, then try again."
        )
    if isinstance(error, ServerError):
        return f"{who} had a temporary problem. Try again in a minute. ({detail})"
    if isinstance(error, MalformedResponseError):
        return f"{who} sent an answer PSA Portal could not understand. ({detail})"
    if isinstance(error, PsaError):
        return f"ConnectWise PSA rejected the request: {detail}"
    return f"Membrane could not complete the request: {detail}"
