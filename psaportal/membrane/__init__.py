"""Membrane API client: httpx, auth, typed errors. Knows nothing of Django."""

from .auth import StaticToken, WorkspaceToken
from .client import API_VERSION, MembraneClient, ProxyResponse
from .errors import (
    ActionRunError,
    AuthError,
    BadRequestError,
    ConflictError,
    MalformedResponseError,
    MembraneError,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    PsaError,
    PsaRateLimitError,
    PsaServerError,
    RateLimitError,
    ServerError,
)
from .pagination import iter_cursor_items

__all__ = [
    "API_VERSION",
    "ActionRunError",
    "AuthError",
    "BadRequestError",
    "ConflictError",
    "MalformedResponseError",
    "OutcomeUnknownError",
    "MembraneClient",
    "MembraneError",
    "NetworkError",
    "NotFoundError",
    "ProxyResponse",
    "PsaError",
    "PsaRateLimitError",
    "PsaServerError",
    "RateLimitError",
    "ServerError",
    "StaticToken",
    "WorkspaceToken",
    "iter_cursor_items",
]
