"""The one exception the simulator raises internally; `handle` turns it into a response."""

from __future__ import annotations


class PsaError(Exception):
    """A ConnectWise-shaped API error: HTTP status, `code`, `message` and field `errors`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []

    def as_body(self) -> dict:
        # ConnectWise always sends `errors`, empty when no field is at fault.
        return {"code": self.code, "message": self.message, "errors": self.errors}


def bad_request(message: str) -> PsaError:
    """A malformed query parameter (conditions, orderBy, fields, page...)."""
    return PsaError(400, "BadRequest", message)


def invalid_object(resource: str, errors: list[dict[str, str]], message: str = "") -> PsaError:
    """A create/update body that fails validation, with one entry per bad field."""
    return PsaError(400, "InvalidObject", message or f"{resource} object is invalid", errors)


def field_error(code: str, message: str, resource: str, field: str) -> dict[str, str]:
    return {"code": code, "message": message, "resource": resource, "field": field}


def not_found(message: str) -> PsaError:
    return PsaError(404, "NotFound", message)
