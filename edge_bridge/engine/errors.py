"""Rekognition-style errors: ``{"__type": code, "message": text}`` with an HTTP status."""

from __future__ import annotations

from typing import Final

INVALID_PARAMETER: Final = "InvalidParameterException"
RESOURCE_NOT_FOUND: Final = "ResourceNotFoundException"
RESOURCE_EXISTS: Final = "ResourceAlreadyExistsException"
BAD_PAGINATION: Final = "InvalidPaginationTokenException"
UNKNOWN_OPERATION: Final = "UnknownOperationException"
SERIALIZATION: Final = "SerializationException"
INTERNAL: Final = "InternalServerError"
MISSING_AUTH: Final = "MissingAuthenticationTokenException"
INCOMPLETE_SIGNATURE: Final = "IncompleteSignatureException"
UNRECOGNIZED_CLIENT: Final = "UnrecognizedClientException"
INVALID_SIGNATURE: Final = "InvalidSignatureException"
INVALID_IMAGE_FORMAT: Final = "InvalidImageFormatException"
IMAGE_TOO_LARGE: Final = "ImageTooLargeException"
CONFLICT: Final = "ConflictException"
SERVICE_QUOTA_EXCEEDED: Final = "ServiceQuotaExceededException"
IDEMPOTENT_PARAMETER_MISMATCH: Final = "IdempotentParameterMismatchException"
# botocore retries ThrottlingException (HTTP 400) with backoff in every retry mode.
THROTTLING: Final = "ThrottlingException"
REQUEST_TIMEOUT: Final = "RequestTimeoutException"


class EngineError(Exception):
    """An error answered to the client with a Rekognition error code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        """Return the JSON error body."""
        return {"__type": self.code, "message": self.message}


class AuthError(EngineError):
    """A request refused before processing (HTTP 403)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=403)


def invalid_parameter(message: str) -> EngineError:
    """Shorthand for InvalidParameterException."""
    return EngineError(INVALID_PARAMETER, message)


def not_found(message: str) -> EngineError:
    """Shorthand for ResourceNotFoundException."""
    return EngineError(RESOURCE_NOT_FOUND, message)
