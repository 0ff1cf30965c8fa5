"""Asynchronous client for the Rekognition face API (AWS or the SmartShop engine).

boto3 is blocking, so every call runs in the default executor after a shared client-side rate
limiter grants a token. botocore errors are mapped once, in :func:`_map_error`, to the
:class:`RecognitionError` hierarchy whose ``reason`` codes are stable (used for translations).

Privacy: probe images and face crops live only in memory. They are never logged or written
anywhere; a face that matches nothing leaves no trace once the search returns.

This module depends on the standard library, boto3/botocore and Pillow only; it has no Home
Assistant imports.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
import json
import logging
from pathlib import Path
import re
import time
from types import MappingProxyType
from typing import Any, ClassVar, Final
import uuid

import boto3
from botocore import xform_name
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as BotoConnectionError,
    HTTPClientError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    SSLError as BotoSSLError,
    UnknownEndpointError,
)
from botocore.httpsession import URLLib3Session

from .imaging import BoundingBox, ImageError, PreparedImage, crop_region, prepare_image

_LOGGER = logging.getLogger(__name__)

SERVICE = "rekognition"
CREDENTIAL_CHECK_COLLECTION = "smartshop-credential-check"
DEFAULT_RATE = 5.0
DEFAULT_BURST = 5


@dataclass(frozen=True, slots=True)
class RekognitionOperation:
    """A Rekognition operation the integration calls: what it serves, and how IAM scopes it."""

    # What needs the operation: named in the repair issue raised when AWS refuses it.
    feature: str
    # True: IAM authorises the operation per collection (Resource may be a collection ARN);
    # False: the operation acts on no collection and IAM grants it only on Resource "*".
    per_collection: bool


# Every Rekognition operation the integration calls, each with what it serves: the one list
# docs/aws.md's IAM policies grant (tests/integration/test_iam_policy.py checks the list against
# the calls in the code and against both policies). ``per_collection`` follows the "collection*"
# resource type of AWS's Service Authorization Reference for Rekognition. ListFaces and
# ListUsers are not here: the client offers them (tests and tools use them), the integration
# never calls them, so the policy does not grant them.
REKOGNITION_OPERATIONS: Final[Mapping[str, RekognitionOperation]] = MappingProxyType(
    {
        "CreateCollection": RekognitionOperation(
            "creating a watchlist's face collection (a new watchlist, or one whose collection "
            "was deleted outside SmartShop)",
            per_collection=False,
        ),
        "DeleteCollection": RekognitionOperation(
            "deleting the collection of a watchlist that was removed", per_collection=True
        ),
        "DescribeCollection": RekognitionOperation(
            "checking the access keys when the store starts, and joining a shared watchlist",
            per_collection=True,
        ),
        "DetectFaces": RekognitionOperation(
            "finding the faces in camera frames and checking enrolment photos",
            per_collection=False,
        ),
        "IndexFaces": RekognitionOperation(
            "enrolling people and adding photos", per_collection=True
        ),
        "DeleteFaces": RekognitionOperation(
            "deleting faces when a person, a photo or an expired entry is removed or a person "
            "is erased",
            per_collection=True,
        ),
        "CreateUser": RekognitionOperation(
            "making each watchlist entry a person (a user) on the backend, so that searches "
            "compare people rather than single faces",
            per_collection=True,
        ),
        "AssociateFaces": RekognitionOperation(
            "linking a person's photos to them (enrolment, adding a photo, re-embedding)",
            per_collection=True,
        ),
        "DisassociateFaces": RekognitionOperation(
            "removing a photo from a person (removing a photo, re-embedding)",
            per_collection=True,
        ),
        "DeleteUser": RekognitionOperation(
            "removing a person from the backend when their entry is removed, expires or is erased",
            per_collection=True,
        ),
        "SearchFacesByImage": RekognitionOperation(
            "searching the watchlists face by face (while some of the store's entries are not "
            "yet people on the backend, or it has none of its own)",
            per_collection=True,
        ),
        "SearchUsersByImage": RekognitionOperation(
            "searching the watchlists person by person", per_collection=True
        ),
        "CompareFaces": RekognitionOperation(
            "find by face: comparing a requester's photo with the evidence held",
            per_collection=False,
        ),
    }
)

# The calls that analyse an image: what cameras generate, what AWS limits per second and bills.
# Set-up and bookkeeping calls (collections, users, listings) are few and pass unthrottled, so
# they never hold a search back.
RATE_LIMITED_OPERATIONS: Final = frozenset(
    {"CompareFaces", "DetectFaces", "IndexFaces", "SearchFacesByImage", "SearchUsersByImage"}
)
MAX_FACE_IDS_PER_DELETE = 4096
MAX_FACE_IDS_PER_ASSOCIATION = 100
MAX_LIST_PAGE = 4096
MAX_USERS_PAGE = 500
MAX_ID_LENGTH = 255
MAX_USER_ID_LENGTH = 128

# The enrolment quality gate (enrol and every added photo). A photo passes when DetectFaces
# finds exactly one face, at least MIN_FACE_WIDTH_PX wide in the image sent, sharp enough and
# looking roughly at the camera. A backend that reports no pose or sharpness is not judged on it.
MIN_FACE_WIDTH_PX = 80
MIN_SHARPNESS = 20.0
MAX_YAW_DEGREES = 30.0
MAX_PITCH_DEGREES = 30.0

_EXTERNAL_IMAGE_ID = re.compile(r"[a-zA-Z0-9_.\-:]+")
_COLLECTION_ID = re.compile(r"[a-zA-Z0-9_.\-]+")
_DENIED_ACTION = re.compile(r"not authorized to perform:?\s*([A-Za-z0-9-]+:[A-Za-z0-9*]+)")
_WRONG_REGION = re.compile(r"scoped to (?:a valid|the correct|correct) region", re.IGNORECASE)
_NO_FACE = re.compile(r"\bno faces?\b", re.IGNORECASE)

_AUTH_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthFailure",
        "RequestExpired",
    }
)
_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
_THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    }
)
_UNAVAILABLE_CODES = frozenset(
    {
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
# Answers about the request itself (a missing collection, an existing user, a bad image): AWS
# gives them only to a caller it has authorised for the operation.
_AUTHORISED_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "ResourceAlreadyExistsException",
        "ConflictException",
        "InvalidParameterException",
        "InvalidImageFormatException",
        "ImageTooLargeException",
    }
)
_INVALID_IMAGE_CODES = {
    "InvalidImageFormatException": "invalid_format",
    "ImageTooLargeException": "too_large",
}


# --- errors -------------------------------------------------------------------------------------


class RecognitionError(Exception):
    """Base class; ``reason`` is a stable code, ``code`` the backend's error code if any."""

    reason: ClassVar[str] = "unknown"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        """Keep the backend error code next to the message."""
        super().__init__(message)
        self.code = code


class AuthenticationError(RecognitionError):
    """The credentials are unknown, wrong or expired."""

    reason: ClassVar[str] = "invalid_auth"


class AccessDeniedError(RecognitionError):
    """The credentials work but lack permission for ``action`` (``rekognition:<Operation>``)."""

    reason: ClassVar[str] = "access_denied"

    def __init__(self, message: str, *, action: str, code: str | None = None) -> None:
        """Record the denied IAM action."""
        super().__init__(message, code=code)
        self.action = action


class WrongRegionError(RecognitionError):
    """The region does not offer Rekognition, or the credentials are scoped elsewhere."""

    reason: ClassVar[str] = "wrong_region"


class BackendUnavailableError(RecognitionError):
    """The backend cannot be reached or failed on its side; try again later."""

    reason: ClassVar[str] = "cannot_connect"


class CertificateMismatchError(RecognitionError):
    """The engine presented another certificate than the pinned one (a replaced bridge, or a
    device impersonating it); nothing was sent to it."""

    reason: ClassVar[str] = "certificate_mismatch"


class ThrottledError(BackendUnavailableError):
    """The backend kept throttling after botocore's retries were exhausted."""

    reason: ClassVar[str] = "throttled"


class CollectionNotFoundError(RecognitionError):
    """The face collection does not exist."""

    reason: ClassVar[str] = "collection_not_found"


class NoFaceError(RecognitionError):
    """No usable face was found in the image."""

    reason: ClassVar[str] = "no_face"


class MultipleFacesError(RecognitionError):
    """The image shows ``count`` faces where exactly one is required."""

    reason: ClassVar[str] = "multiple_faces"

    def __init__(self, message: str, *, count: int) -> None:
        """Record how many faces were found."""
        super().__init__(message)
        self.count = count


class InvalidImageError(RecognitionError):
    """The image cannot be used; ``image_reason`` says why.

    ``image_reason`` is an :class:`~.imaging.ImageError` reason (``empty``, ``not_an_image``,
    ``truncated``, ``too_small``, ``too_many_pixels``), or for backend refusals
    ``invalid_format`` / ``too_large``, or ``low_quality`` when IndexFaces filtered the face out.
    """

    reason: ClassVar[str] = "invalid_image"

    def __init__(self, message: str, *, image_reason: str, code: str | None = None) -> None:
        """Record the detailed image reason."""
        super().__init__(message, code=code)
        self.image_reason = image_reason


class PhotoQualityError(InvalidImageError):
    """The enrolment photo shows one face, but not one good enough to recognise it by.

    ``image_reason`` is ``face_too_small``, ``blurred`` or ``turned_away``.
    """

    def __init__(
        self, message: str, *, image_reason: str = "low_quality", code: str | None = None
    ) -> None:
        """Record which bound the face missed."""
        super().__init__(message, image_reason=image_reason, code=code)


class FaceAssociationError(RecognitionError):
    """AssociateFaces left faces out; ``reasons`` maps each face id to the backend's reasons
    (``FACE_NOT_FOUND``, ``ASSOCIATED_TO_A_DIFFERENT_USER``, ``LOW_MATCH_CONFIDENCE``)."""

    reason: ClassVar[str] = "face_not_associated"

    def __init__(self, message: str, *, reasons: dict[str, list[str]] | None = None) -> None:
        """Record why each face was not associated."""
        super().__init__(message)
        self.reasons = reasons or {}

    @property
    def all_reasons(self) -> list[str]:
        """Every reason given, once each, sorted."""
        return sorted({reason for found in self.reasons.values() for reason in found})


def _client_error_details(err: ClientError) -> tuple[str, str, int]:
    """Return (code, message, HTTP status) of a ClientError."""
    error = err.response.get("Error", {})
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return str(error.get("Code", "")), str(error.get("Message", "")), int(status or 0)


_CODE_CLASSES: dict[str, type[RecognitionError]] = {
    **dict.fromkeys(_AUTH_CODES, AuthenticationError),
    **dict.fromkeys(_THROTTLE_CODES, ThrottledError),
    **dict.fromkeys(_UNAVAILABLE_CODES, BackendUnavailableError),
    "ResourceNotFoundException": CollectionNotFoundError,
}


def _error_class(code: str, status: int) -> type[RecognitionError]:
    """Class for an error code, falling back on the HTTP status for unknown codes."""
    if code in _CODE_CLASSES:
        return _CODE_CLASSES[code]
    if status in (401, 403):
        return AuthenticationError
    if status >= 500:
        return BackendUnavailableError
    return RecognitionError


def _map_client_error(err: ClientError, operation: str) -> RecognitionError:
    """Map a service error response to a RecognitionError."""
    code, message, status = _client_error_details(err)
    text = f"{operation}: {code}: {message}" if message else f"{operation}: {code}"
    if _WRONG_REGION.search(message):
        return WrongRegionError(text, code=code)
    if code in _DENIED_CODES:
        found = _DENIED_ACTION.search(message)
        action = found.group(1) if found else f"{SERVICE}:{operation}"
        return AccessDeniedError(
            f"The credentials are not allowed to call {action}", action=action, code=code
        )
    if code in _INVALID_IMAGE_CODES:
        return InvalidImageError(text, image_reason=_INVALID_IMAGE_CODES[code], code=code)
    return _error_class(code, status)(text, code=code)


def _error_class_of(err: Exception) -> type[RecognitionError]:
    """The RecognitionError class of a botocore error other than a service answer."""
    if isinstance(err, PinMismatchError):
        return CertificateMismatchError
    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        return AuthenticationError
    if isinstance(err, NoRegionError | UnknownEndpointError | InvalidRegionError):
        return WrongRegionError
    if isinstance(err, BotoConnectionError | HTTPClientError):
        return BackendUnavailableError
    return RecognitionError


def _map_error(err: Exception, operation: str) -> RecognitionError:
    """Map any botocore error (or a bad endpoint URL) to a RecognitionError. The only mapper."""
    if isinstance(err, ClientError):
        return _map_client_error(err, operation)
    if isinstance(err, ValueError) and not isinstance(err, BotoCoreError):
        # botocore raises a bare ValueError for a malformed endpoint URL.
        return BackendUnavailableError(f"{operation}: {err}", code="InvalidEndpoint")
    return _error_class_of(err)(f"{operation}: {err}", code=type(err).__name__)


# --- configuration and client construction ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """Where and how to reach the backend. ``endpoint_url`` None means AWS in ``region``."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    region: str = "eu-west-2"
    endpoint_url: str | None = None
    # An https engine whose certificate is pinned (a bridge's engine): SHA-256 of its DER form.
    cert_sha256: bytes | None = None

    @property
    def is_aws(self) -> bool:
        """True for AWS Rekognition, False for a Rekognition-compatible engine."""
        return self.endpoint_url is None


def _integration_version() -> str:
    """Version from the integration manifest next to this module (blocking file read)."""
    try:
        manifest = json.loads(Path(__file__).with_name("manifest.json").read_text("utf-8"))
        return str(manifest["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def botocore_config() -> Config:
    """The botocore Config every SmartShop client uses (bounded retries and timeouts)."""
    return Config(
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=3,
        read_timeout=10,
        user_agent_extra=f"smartshop/{_integration_version()}",
    )


class _RedactRequestBody(logging.Filter):
    """Drop request bodies (base64 images) from botocore's debug log of outgoing requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            str(record.msg).startswith("Making request")
            and isinstance(args, tuple)
            and len(args) == 2
            and isinstance(args[1], dict)
            and "body" in args[1]
        ):
            record.args = (args[0], {**args[1], "body": "<redacted>"})
        return True


def _install_log_redaction() -> None:
    """Make sure botocore debug logging can never print an image (idempotent)."""
    endpoint_logger = logging.getLogger("botocore.endpoint")
    if not any(isinstance(f, _RedactRequestBody) for f in endpoint_logger.filters):
        endpoint_logger.addFilter(_RedactRequestBody())


def check_region(config: BackendConfig) -> None:
    """Raise WrongRegionError if AWS offers no Rekognition in the region (blocking I/O)."""
    if not config.is_aws:
        return
    session = boto3.session.Session()
    for partition in session.get_available_partitions():
        if config.region in session.get_available_regions(SERVICE, partition_name=partition):
            return
    raise WrongRegionError(f"AWS Rekognition is not available in region {config.region!r}")


class PinMismatchError(BotoCoreError):  # type: ignore[misc]  # botocore is untyped
    """The server's certificate is not the pinned one (raised before any request is sent).

    Not one of botocore's connection errors, so its retry handler does not try again.
    """

    fmt = "The certificate of {endpoint_url} is not the pinned one"


class PinnedURLLib3Session(URLLib3Session):  # type: ignore[misc]  # botocore is untyped
    """botocore's HTTP session, trusting exactly one certificate: the pinned one.

    urllib3 checks ``assert_fingerprint`` right after the TLS handshake, before the request
    (and its signed body) is written; no certificate authority or host name is consulted, since
    a bridge's certificate is self-signed and its address may change.
    """

    def __init__(self, cert_sha256: bytes, **kwargs: Any) -> None:
        """Pin the SHA-256 of the server's DER certificate."""
        super().__init__(verify=False, **kwargs)
        self._pin_hex = cert_sha256.hex()

    def _setup_ssl_cert(self, conn: Any, url: str, verify: Any) -> None:
        conn.cert_reqs = "CERT_NONE"
        conn.ca_certs = None
        conn.assert_fingerprint = self._pin_hex

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        """Send; a certificate that is not the pinned one is its own, non-retried error."""
        try:
            response: AWSResponse = super().send(request)
        except BotoSSLError as err:
            if "Fingerprints did not match" in str(err):
                raise PinMismatchError(endpoint_url=request.url) from err
            raise
        return response


def _pin_certificate(client: Any, cert_sha256: bytes) -> None:
    """Make the client's endpoint talk only to the pinned certificate.

    botocore builds its HTTP session inside the client with no way to pass one in, and its
    ``verify`` option only takes certificate authorities. So the endpoint's session is replaced
    by a pinned one with the same timeouts and pool size (and no proxy: a bridge is on the
    local network), and the unused original is closed.
    """
    botocore_cfg = client.meta.config
    endpoint = client._endpoint  # see the docstring
    original = endpoint.http_session
    endpoint.http_session = PinnedURLLib3Session(
        cert_sha256,
        timeout=(botocore_cfg.connect_timeout, botocore_cfg.read_timeout),
        max_pool_connections=botocore_cfg.max_pool_connections,
    )
    original.close()


REQUEST_NONCE_HEADER: Final = "x-smartshop-request-id"


def create_boto3_client(config: BackendConfig) -> Any:
    """Build the boto3 Rekognition client for config (blocking: run it in an executor)."""
    if not config.access_key_id or not config.secret_access_key:
        # boto3 would otherwise fall back to credentials from the environment.
        raise AuthenticationError("The access key ID and secret access key are both required")
    _install_log_redaction()
    session = boto3.session.Session(
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=config.secret_access_key,
        region_name=config.region,
    )
    client = session.client(SERVICE, endpoint_url=config.endpoint_url, config=botocore_config())
    if config.cert_sha256 is not None:
        _pin_certificate(client, config.cert_sha256)
    if not config.is_aws:
        client.meta.events.register(f"before-sign.{SERVICE}", _add_request_nonce)
    return client


def _add_request_nonce(request: Any, **_: Any) -> None:
    """Make every signed request to an engine unique, retries included.

    A SmartShop engine refuses a mutating request whose signature it has already seen (replay
    protection). SigV4 signs to the second and carries no nonce, so two identical requests in
    one second (the same photo enrolled twice) would sign alike; this signed header tells them
    apart. botocore fires ``before-sign`` for every attempt, so each retry differs too.
    """
    request.headers[REQUEST_NONCE_HEADER] = uuid.uuid4().hex


# --- rate limiting ------------------------------------------------------------------------------


class RateLimiter:
    """Asynchronous token bucket: ``rate`` calls per second with bursts up to ``burst``.

    Waiters are served strictly first in, first out, so a queue of searches drains at the rate
    with none lost. Share one instance between all cameras that use the same backend.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Start with a full bucket."""
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self._rate

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now

    async def acquire(self) -> None:
        """Wait for a token (FIFO) and take it."""
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self._rate)
                self._refill()
            self._tokens -= 1


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexedFace:
    """A face stored in a collection."""

    face_id: str
    external_image_id: str
    confidence: float
    bounding_box: BoundingBox | None

    @classmethod
    def from_aws(cls, face: dict[str, Any]) -> IndexedFace:
        """Build from a Rekognition ``Face`` dict."""
        return cls(
            face_id=str(face["FaceId"]),
            external_image_id=str(face.get("ExternalImageId", "")),
            confidence=float(face.get("Confidence", 0.0)),
            bounding_box=_box(face.get("BoundingBox")),
        )


@dataclass(frozen=True, slots=True)
class FaceMatch:
    """A watchlisted face similar to the probe; ``bounding_box`` locates the probe face."""

    collection_id: str
    face_id: str
    external_image_id: str
    similarity: float
    bounding_box: BoundingBox | None
    # Set for a SearchUsersByImage match: the user (a person's UUID, also in external_image_id);
    # face_id is then empty, since the match is with the person, not with one of their photos.
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class CollectionUser:
    """A user of a collection (a person with one or more faces)."""

    user_id: str
    status: str


@dataclass(frozen=True, slots=True)
class FrameResult:
    """Outcome of searching a whole camera frame."""

    total_faces: int
    searched_faces: int
    matches: list[FaceMatch]


def _box(data: dict[str, Any] | None) -> BoundingBox | None:
    return BoundingBox.from_aws(data) if data else None


def _check_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    if len(value) > MAX_ID_LENGTH or not pattern.fullmatch(value):
        raise ValueError(f"Invalid {what} {value!r}: use 1-255 of {pattern.pattern}")
    return value


def _collection_list(collection_ids: Sequence[str]) -> list[str]:
    if isinstance(collection_ids, str):
        raise TypeError("collection_ids must be a sequence of ids, not a single string")
    return [_check_id(cid, _COLLECTION_ID, "collection id") for cid in collection_ids]


def _check_user_id(user_id: str) -> str:
    if len(user_id) > MAX_USER_ID_LENGTH:
        raise ValueError(f"Invalid user id {user_id!r}: at most {MAX_USER_ID_LENGTH} characters")
    return _check_id(user_id, _EXTERNAL_IMAGE_ID, "user id")


def check_enrolment_face(details: list[dict[str, Any]], image: PreparedImage) -> BoundingBox:
    """The enrolment quality gate on DetectFaces' FaceDetails; returns the face's box.

    Raises NoFaceError, MultipleFacesError or PhotoQualityError (too small, blurred, turned
    away). Pose and sharpness are judged only when the backend reports them.
    """
    if not details:
        raise NoFaceError("No face was found in the image")
    if len(details) > 1:
        raise MultipleFacesError(
            f"The image shows {len(details)} faces; exactly one is required", count=len(details)
        )
    detail = details[0]
    box = BoundingBox.from_aws(detail.get("BoundingBox", {}))
    width_px = box.width * image.width
    if width_px < MIN_FACE_WIDTH_PX:
        raise PhotoQualityError(
            f"The face is {width_px:.0f} px wide; at least {MIN_FACE_WIDTH_PX} px are needed",
            image_reason="face_too_small",
        )
    sharpness = detail.get("Quality", {}).get("Sharpness")
    if sharpness is not None and float(sharpness) < MIN_SHARPNESS:
        raise PhotoQualityError(
            f"The face is blurred (sharpness {float(sharpness):.0f}, at least {MIN_SHARPNESS:.0f})",
            image_reason="blurred",
        )
    pose = detail.get("Pose", {})
    yaw, pitch = abs(float(pose.get("Yaw", 0.0))), abs(float(pose.get("Pitch", 0.0)))
    if yaw > MAX_YAW_DEGREES or pitch > MAX_PITCH_DEGREES:
        raise PhotoQualityError(
            f"The face is turned away (yaw {yaw:.0f}°, pitch {pitch:.0f}°; at most "
            f"{MAX_YAW_DEGREES:.0f}° each)",
            image_reason="turned_away",
        )
    return box


def _check_threshold(threshold: float) -> None:
    if not 0 <= threshold <= 100:
        raise ValueError("threshold must be between 0 and 100")


def _by_similarity(matches: list[FaceMatch]) -> list[FaceMatch]:
    return sorted(matches, key=lambda match: match.similarity, reverse=True)


# --- client -------------------------------------------------------------------------------------

# Told after each call: the operation, and the refusal when the backend denied its permission.
type PermissionListener = Callable[[str, AccessDeniedError | None], None]


class RecognitionClient:
    """Rekognition face operations, asynchronous, rate limited and with mapped errors."""

    def __init__(
        self,
        config: BackendConfig,
        *,
        rate_limiter: RateLimiter | None = None,
        client_factory: Callable[[], Any] | None = None,
        max_faces_per_frame: int = 5,
        on_permission: PermissionListener | None = None,
    ) -> None:
        """Nothing blocking happens here; the boto3 client is built on first use.

        ``on_permission`` hears, after a call, the operation and the AccessDeniedError when
        the backend refused the permission, or None when it authorised the call: the call
        succeeded, or was refused for what it asked (a missing collection, an existing user, a
        bad image). Other failures (unreachable, throttled, refused keys) say nothing about the
        permission and are not reported.
        """
        if max_faces_per_frame < 1:
            raise ValueError("max_faces_per_frame must be at least 1")
        self._on_permission = on_permission
        self._config = config
        self._rate_limiter = rate_limiter or RateLimiter()
        self._client_factory = client_factory or partial(create_boto3_client, config)
        self._max_faces = max_faces_per_frame
        self._client: Any = None
        self._client_lock = asyncio.Lock()
        self._calls: Counter[str] = Counter()

    def __repr__(self) -> str:
        """Show the backend without any credential."""
        where = self._config.endpoint_url or f"AWS {self._config.region}"
        return f"RecognitionClient({where})"

    @property
    def config(self) -> BackendConfig:
        """The backend configuration."""
        return self._config

    @property
    def calls(self) -> Counter[str]:
        """Calls made per Rekognition operation (e.g. ``SearchFacesByImage``)."""
        return self._calls

    def _build_client(self) -> Any:
        try:
            check_region(self._config)
            return self._client_factory()
        except (BotoCoreError, ValueError) as err:
            raise _map_error(err, "CreateClient") from err

    async def _get_client(self) -> Any:
        if self._client is None:
            async with self._client_lock:
                if self._client is None:
                    loop = asyncio.get_running_loop()
                    self._client = await loop.run_in_executor(None, self._build_client)
        return self._client

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Run one Rekognition operation in the executor; errors come back mapped."""
        client = await self._get_client()
        method = getattr(client, xform_name(operation))
        if operation in RATE_LIMITED_OPERATIONS:
            await self._rate_limiter.acquire()
        self._calls[operation] += 1
        _LOGGER.debug("Calling %s on %r", operation, self)
        loop = asyncio.get_running_loop()
        try:
            response: dict[str, Any] = await loop.run_in_executor(None, partial(method, **params))
        except (BotoCoreError, ClientError) as err:
            mapped = _map_error(err, operation)
            if isinstance(mapped, AccessDeniedError):
                self._permission_checked(operation, mapped)
            elif mapped.code in _AUTHORISED_CODES:
                self._permission_checked(operation, None)
            raise mapped from err
        self._permission_checked(operation, None)
        return response

    def _permission_checked(self, operation: str, denied: AccessDeniedError | None) -> None:
        if self._on_permission is not None:
            self._on_permission(operation, denied)

    async def close(self) -> None:
        """Release the HTTP connection pool."""
        client, self._client = self._client, None
        if client is not None:
            await asyncio.get_running_loop().run_in_executor(None, client.close)

    # --- collections -----------------------------------------------------------------------------

    async def validate(self) -> None:
        """Check region and credentials with one DescribeCollection call.

        Returns None when the credentials work; raises WrongRegionError, AuthenticationError,
        AccessDeniedError, BackendUnavailableError (or another RecognitionError) otherwise.
        """
        try:
            await self._call("DescribeCollection", CollectionId=CREDENTIAL_CHECK_COLLECTION)
        except CollectionNotFoundError:
            return

    async def ensure_collection(self, collection_id: str) -> str:
        """Create the collection unless it exists; return its ARN (or the id if it existed)."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        try:
            response = await self._call("CreateCollection", CollectionId=collection_id)
        except RecognitionError as err:
            if err.code == "ResourceAlreadyExistsException":
                return collection_id
            raise
        return str(response.get("CollectionArn") or collection_id)

    async def delete_collection(self, collection_id: str) -> None:
        """Delete the collection and all its faces; a missing collection is fine."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        try:
            await self._call("DeleteCollection", CollectionId=collection_id)
        except CollectionNotFoundError:
            _LOGGER.debug("Collection %s was already deleted", collection_id)

    async def describe_collection(self, collection_id: str) -> dict[str, Any]:
        """Return FaceCount, FaceModelVersion, CollectionARN, CreationTimestamp, UserCount."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        response = await self._call("DescribeCollection", CollectionId=collection_id)
        return {key: value for key, value in response.items() if key != "ResponseMetadata"}

    async def list_faces(self, collection_id: str) -> list[IndexedFace]:
        """Every face in the collection (follows NextToken)."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        faces: list[IndexedFace] = []
        params: dict[str, Any] = {"CollectionId": collection_id, "MaxResults": MAX_LIST_PAGE}
        while True:
            response = await self._call("ListFaces", **params)
            faces.extend(IndexedFace.from_aws(face) for face in response.get("Faces", []))
            token = response.get("NextToken")
            if not token:
                return faces
            params["NextToken"] = token

    # --- faces -----------------------------------------------------------------------------------

    async def _prepare(self, image: bytes) -> PreparedImage:
        """Normalise the image in the executor (CPU-bound); ImageError becomes InvalidImageError."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, prepare_image, image)
        except ImageError as err:
            raise InvalidImageError(str(err), image_reason=err.reason) from err

    async def _detect_details(self, image: PreparedImage) -> list[dict[str, Any]]:
        """DetectFaces' FaceDetails (box, confidence, pose, quality) of every face found."""
        response = await self._call(
            "DetectFaces", Image={"Bytes": image.jpeg}, Attributes=["DEFAULT"]
        )
        return list(response.get("FaceDetails", []))

    async def _detect(self, image: PreparedImage) -> list[BoundingBox]:
        """Bounding boxes of all faces DetectFaces finds."""
        return [
            BoundingBox.from_aws(face.get("BoundingBox", {}))
            for face in await self._detect_details(image)
        ]

    async def index_face(
        self, collection_id: str, image: bytes, external_image_id: str
    ) -> IndexedFace:
        """Enrol the single face in image under external_image_id (a UUID, never a name).

        The photo must pass the enrolment quality gate (:func:`check_enrolment_face`) first.
        Raises NoFaceError (0 faces), MultipleFacesError (more than 1), PhotoQualityError (too
        small, blurred, turned away), InvalidImageError (bad image, or the face was filtered out
        as low quality), CollectionNotFoundError, ...
        """
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        _check_id(external_image_id, _EXTERNAL_IMAGE_ID, "external image id")
        prepared = await self._prepare(image)
        check_enrolment_face(await self._detect_details(prepared), prepared)
        response = await self._call(
            "IndexFaces",
            CollectionId=collection_id,
            Image={"Bytes": prepared.jpeg},
            ExternalImageId=external_image_id,
            MaxFaces=1,
            QualityFilter="AUTO",
            DetectionAttributes=[],
        )
        records = response.get("FaceRecords", [])
        if records:
            return IndexedFace.from_aws(records[0]["Face"])
        reasons = sorted(
            {reason for face in response.get("UnindexedFaces", []) for reason in face["Reasons"]}
        )
        if not reasons:
            raise NoFaceError("The backend found no face to index in the image")
        raise InvalidImageError(
            f"The face was not indexed: {', '.join(reasons)}", image_reason="low_quality"
        )

    async def delete_faces(self, collection_id: str, face_ids: Sequence[str]) -> list[str]:
        """Delete faces (in batches of 4096); return the ids the backend reports deleted."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        ids = list(face_ids)
        deleted: list[str] = []
        for start in range(0, len(ids), MAX_FACE_IDS_PER_DELETE):
            batch = ids[start : start + MAX_FACE_IDS_PER_DELETE]
            response = await self._call("DeleteFaces", CollectionId=collection_id, FaceIds=batch)
            deleted.extend(response.get("DeletedFaces", []))
            for failure in response.get("UnsuccessfulFaceDeletions", []):
                _LOGGER.warning(
                    "Face %s in %s was not deleted: %s",
                    failure.get("FaceId"),
                    collection_id,
                    ", ".join(failure.get("Reasons", [])),
                )
        return deleted

    # --- users: a person with one or more faces ------------------------------------------------

    async def create_user(self, collection_id: str, user_id: str) -> bool:
        """Create a user; True if created, False if it already existed (idempotent)."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        _check_user_id(user_id)
        try:
            await self._call("CreateUser", CollectionId=collection_id, UserId=user_id)
        except RecognitionError as err:
            if err.code == "ConflictException":
                return False
            raise
        return True

    async def delete_user(self, collection_id: str, user_id: str) -> bool:
        """Delete a user (its faces are disassociated, not deleted); False if already gone."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        _check_user_id(user_id)
        try:
            await self._call("DeleteUser", CollectionId=collection_id, UserId=user_id)
        except CollectionNotFoundError:
            return False
        return True

    async def associate_faces(
        self,
        collection_id: str,
        user_id: str,
        face_ids: Sequence[str],
        *,
        match_threshold: float | None = None,
    ) -> list[str]:
        """Associate faces with a user (in batches of 100); return the associated face ids.

        ``match_threshold`` (AWS's UserMatchThreshold, default 75) is how similar a new face
        must be to the user's faces. Raises FaceAssociationError with each refused face's
        reasons when the backend left any out (the others stay associated).
        """
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        _check_user_id(user_id)
        extra: dict[str, Any] = {}
        if match_threshold is not None:
            _check_threshold(match_threshold)
            extra["UserMatchThreshold"] = match_threshold
        ids = list(face_ids)
        associated: list[str] = []
        refused: dict[str, list[str]] = {}
        for start in range(0, len(ids), MAX_FACE_IDS_PER_ASSOCIATION):
            response = await self._call(
                "AssociateFaces",
                CollectionId=collection_id,
                UserId=user_id,
                FaceIds=ids[start : start + MAX_FACE_IDS_PER_ASSOCIATION],
                **extra,
            )
            associated.extend(str(face["FaceId"]) for face in response.get("AssociatedFaces", []))
            for failure in response.get("UnsuccessfulFaceAssociations", []):
                refused[str(failure.get("FaceId", ""))] = list(failure.get("Reasons", []))
        if refused:
            raise FaceAssociationError(
                "Faces not associated with the user: "
                + "; ".join(f"{face}: {', '.join(why)}" for face, why in refused.items()),
                reasons=refused,
            )
        return associated

    async def disassociate_faces(
        self, collection_id: str, user_id: str, face_ids: Sequence[str]
    ) -> list[str]:
        """Disassociate faces from a user (in batches of 100); return those disassociated.

        A face the backend reports as not found (or another user's) is logged, not raised.
        """
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        _check_user_id(user_id)
        ids = list(face_ids)
        done: list[str] = []
        for start in range(0, len(ids), MAX_FACE_IDS_PER_ASSOCIATION):
            response = await self._call(
                "DisassociateFaces",
                CollectionId=collection_id,
                UserId=user_id,
                FaceIds=ids[start : start + MAX_FACE_IDS_PER_ASSOCIATION],
            )
            done.extend(str(face["FaceId"]) for face in response.get("DisassociatedFaces", []))
            for failure in response.get("UnsuccessfulFaceDisassociations", []):
                _LOGGER.warning(
                    "Face %s in %s was not disassociated: %s",
                    failure.get("FaceId"),
                    collection_id,
                    ", ".join(failure.get("Reasons", [])),
                )
        return done

    async def list_users(self, collection_id: str) -> list[CollectionUser]:
        """Every user of the collection (follows NextToken)."""
        _check_id(collection_id, _COLLECTION_ID, "collection id")
        users: list[CollectionUser] = []
        params: dict[str, Any] = {"CollectionId": collection_id, "MaxResults": MAX_USERS_PAGE}
        while True:
            response = await self._call("ListUsers", **params)
            users.extend(
                CollectionUser(user_id=str(user["UserId"]), status=str(user.get("UserStatus", "")))
                for user in response.get("Users", [])
            )
            token = response.get("NextToken")
            if not token:
                return users
            params["NextToken"] = token

    async def search_users(
        self,
        collection_ids: Sequence[str],
        image: bytes,
        *,
        threshold: float,
        max_users: int = 1,
    ) -> list[FaceMatch]:
        """SearchUsersByImage of one already-cropped face in each collection; best first.

        Each match is a person (``user_id``), however many photos they have. An image in which
        the backend finds no face gives [] (not an error).
        """
        _check_threshold(threshold)
        if not 1 <= max_users <= MAX_USERS_PAGE:
            raise ValueError("max_users must be between 1 and 500")
        ids = _collection_list(collection_ids)
        if not ids:
            return []
        prepared = await self._prepare(image)
        matches = await self._search(
            ids, prepared, threshold=threshold, max_matches=max_users, by_user=True
        )
        return _by_similarity(matches)

    # --- searches ---------------------------------------------------------------------------------

    async def _search_one(
        self, collection_id: str, image: PreparedImage, threshold: float, max_matches: int
    ) -> list[FaceMatch]:
        """SearchFacesByImage in one collection (matches carry no probe box yet)."""
        response = await self._call(
            "SearchFacesByImage",
            CollectionId=collection_id,
            Image={"Bytes": image.jpeg},
            MaxFaces=max_matches,
            FaceMatchThreshold=threshold,
            QualityFilter="NONE",
        )
        box = _box(response.get("SearchedFaceBoundingBox"))
        return [
            FaceMatch(
                collection_id=collection_id,
                face_id=str(found["Face"]["FaceId"]),
                external_image_id=str(found["Face"].get("ExternalImageId", "")),
                similarity=float(found.get("Similarity", 0.0)),
                bounding_box=box,
            )
            for found in response.get("FaceMatches", [])
        ]

    async def _search_users_one(
        self, collection_id: str, image: PreparedImage, threshold: float, max_matches: int
    ) -> list[FaceMatch]:
        """SearchUsersByImage in one collection (matches carry no probe box yet)."""
        response = await self._call(
            "SearchUsersByImage",
            CollectionId=collection_id,
            Image={"Bytes": image.jpeg},
            MaxUsers=max_matches,
            UserMatchThreshold=threshold,
            QualityFilter="NONE",
        )
        box = _box(response.get("SearchedFace", {}).get("FaceDetail", {}).get("BoundingBox"))
        return [
            FaceMatch(
                collection_id=collection_id,
                face_id="",
                external_image_id=str(found["User"]["UserId"]),
                similarity=float(found.get("Similarity", 0.0)),
                bounding_box=box,
                user_id=str(found["User"]["UserId"]),
            )
            for found in response.get("UserMatches", [])
        ]

    async def _search(
        self,
        collection_ids: list[str],
        image: PreparedImage,
        *,
        threshold: float,
        max_matches: int,
        probe_box: BoundingBox | None = None,
        by_user: bool = False,
    ) -> list[FaceMatch]:
        """SearchFacesByImage (or SearchUsersByImage) per collection; [] as soon as the backend
        sees no face."""
        search = self._search_users_one if by_user else self._search_one
        matches: list[FaceMatch] = []
        for collection_id in collection_ids:
            try:
                found = await search(collection_id, image, threshold, max_matches)
            except RecognitionError as err:
                if err.code == "InvalidParameterException" and _NO_FACE.search(str(err)):
                    return []  # the other collections would see no face either
                raise
            matches.extend(
                replace(match, bounding_box=probe_box) if probe_box is not None else match
                for match in found
            )
        return matches

    async def search_face(
        self,
        collection_ids: Sequence[str],
        image: bytes,
        *,
        threshold: float,
        max_matches: int = 1,
    ) -> list[FaceMatch]:
        """Search one already-cropped face in each collection; best matches first.

        An image in which the backend finds no face gives [] (not an error).
        """
        _check_threshold(threshold)
        if not 1 <= max_matches <= MAX_LIST_PAGE:
            raise ValueError("max_matches must be between 1 and 4096")
        ids = _collection_list(collection_ids)
        if not ids:
            return []
        prepared = await self._prepare(image)
        matches = await self._search(ids, prepared, threshold=threshold, max_matches=max_matches)
        return _by_similarity(matches)

    async def compare_faces(
        self, source: bytes, targets: Sequence[bytes], *, threshold: float
    ) -> list[float | None]:
        """CompareFaces of the largest face in ``source`` with each target image (e.g. stored
        face crops): per target, the best similarity at or above ``threshold``, or None.

        The source is prepared once. A source in which the backend finds no face gives None
        for every target; a target without a face gives None for that target. Not every
        Rekognition-compatible engine offers CompareFaces (the SmartShop engine does not).
        """
        _check_threshold(threshold)
        if not targets:
            return []
        prepared = await self._prepare(source)
        results: list[float | None] = []
        for target in targets:
            target_prepared = await self._prepare(target)
            try:
                response = await self._call(
                    "CompareFaces",
                    SourceImage={"Bytes": prepared.jpeg},
                    TargetImage={"Bytes": target_prepared.jpeg},
                    SimilarityThreshold=threshold,
                    QualityFilter="NONE",
                )
            except RecognitionError as err:
                if err.code == "InvalidParameterException" and _NO_FACE.search(str(err)):
                    results.append(None)
                    continue
                raise
            similarities = [
                float(m.get("Similarity", 0.0)) for m in response.get("FaceMatches", [])
            ]
            results.append(max(similarities) if similarities else None)
        return results

    async def search_frame(
        self,
        collection_ids: Sequence[str],
        image: bytes,
        *,
        threshold: float,
        by_user: bool = False,
    ) -> FrameResult:
        """Search every face of a camera frame (largest first, at most max_faces_per_frame).

        One DetectFaces call; no face means no search. One face is searched on the whole frame;
        several faces are cropped and each crop searched. Match boxes locate faces in the frame.
        ``by_user`` searches people (SearchUsersByImage) instead of single faces.
        """
        _check_threshold(threshold)
        ids = _collection_list(collection_ids)
        if not ids:
            return FrameResult(total_faces=0, searched_faces=0, matches=[])
        prepared = await self._prepare(image)
        faces = await self._detect(prepared)
        if len(faces) <= 1:
            matches = []
            if faces:
                matches = await self._search(
                    ids,
                    prepared,
                    threshold=threshold,
                    max_matches=1,
                    probe_box=faces[0],
                    by_user=by_user,
                )
            return FrameResult(total_faces=len(faces), searched_faces=len(faces), matches=matches)
        chosen = sorted(faces, key=lambda box: box.area, reverse=True)[: self._max_faces]
        loop = asyncio.get_running_loop()
        matches = []
        searched = 0
        for box in chosen:
            try:
                crop = await loop.run_in_executor(None, crop_region, prepared, box)
            except ValueError:
                _LOGGER.debug("Skipping a face box outside the frame")
                continue
            searched += 1
            matches += await self._search(
                ids, crop, threshold=threshold, max_matches=1, probe_box=box, by_user=by_user
            )
        return FrameResult(
            total_faces=len(faces), searched_faces=searched, matches=_by_similarity(matches)
        )
