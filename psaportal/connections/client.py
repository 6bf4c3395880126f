"""The Membrane client configured from settings: one per process, so its pool is reused."""

from functools import lru_cache

from django.conf import settings

from psaportal.membrane import MembraneClient


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
