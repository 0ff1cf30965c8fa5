"""Verification of AWS Signature Version 4 on incoming requests.

The canonical request, string to sign and signature are computed by botocore's own ``SigV4Auth``
from exactly the headers the client says it signed, so the server and boto3 cannot disagree on
the algorithm. This module only parses the ``Authorization`` header, enforces the policy (which
headers must be signed, the clock window, the scope) and compares signatures in constant time.
Secrets and signatures are never logged or put into error messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
import re

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from .errors import (
    INCOMPLETE_SIGNATURE,
    INVALID_SIGNATURE,
    MISSING_AUTH,
    UNRECOGNIZED_CLIENT,
    AuthError,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "rekognition"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# Headers that must be covered by the signature: without x-amz-target a captured request could be
# replayed against a different operation with the same body.
REQUIRED_SIGNED = ("host", "x-amz-date", "x-amz-target")
_SIGNATURE_RE = re.compile(r"[0-9a-f]{64}")
_HEADER_NAME_RE = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


@dataclass(frozen=True)
class Authorization:
    """The parsed parts of an ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    access_key: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


class _ReceivedRequestSigner(SigV4Auth):  # type: ignore[misc,unused-ignore]
    """SigV4Auth that signs exactly the headers the client listed in SignedHeaders."""

    def __init__(self, credentials: Credentials, region: str, signed: HTTPHeaders) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed


def parse_authorization(value: str) -> Authorization:
    """Parse an ``Authorization`` header value; raise IncompleteSignatureException if malformed."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ALGORITHM:
        raise AuthError(
            INCOMPLETE_SIGNATURE, f"Unsupported authorization scheme; only {ALGORITHM} is accepted"
        )
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep or not key:
            raise AuthError(INCOMPLETE_SIGNATURE, "Authorization header is malformed")
        parts[key] = val.strip()
    for required in ("Credential", "SignedHeaders", "Signature"):
        if not parts.get(required):
            raise AuthError(
                INCOMPLETE_SIGNATURE, f"Authorization header requires '{required}' parameter."
            )
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or not all(scope):
        raise AuthError(
            INCOMPLETE_SIGNATURE,
            "Credential should be scoped correctly: <access key>/<date>/<region>/<service>/"
            "aws4_request",
        )
    signed = tuple(parts["SignedHeaders"].split(";"))
    if not all(_HEADER_NAME_RE.fullmatch(name) for name in signed):
        raise AuthError(INCOMPLETE_SIGNATURE, "SignedHeaders must be lower-case header names")
    if not _SIGNATURE_RE.fullmatch(parts["Signature"]):
        raise AuthError(INCOMPLETE_SIGNATURE, "Signature must be 64 lower-case hex characters")
    access_key, date, region, service, terminator = scope
    return Authorization(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=signed,
        signature=parts["Signature"],
    )


def precheck_request(
    *,
    path_qs: str,
    headers: Sequence[tuple[str, str]],
    credentials: Mapping[str, str],
    now: datetime,
    max_skew: timedelta,
    region: str | None = None,
) -> Authorization:
    """Check everything a request's headers alone can show, before its body is read.

    The ``Authorization`` header must parse, name a known access key (looked up in
    ``credentials`` now: it may change while the engine runs), be scoped correctly and cover the
    required headers; ``X-Amz-Date`` must be within ``max_skew`` of ``now``. Raises
    :class:`AuthError` (HTTP 403) on every refusal; the signature itself is checked by
    :func:`verify_request` once the body is in.
    """
    received = _group_headers(headers)
    auth_values = received.get("authorization", [])
    if not auth_values:
        if "X-Amz-Signature=" in path_qs or "X-Amz-Credential=" in path_qs:
            raise AuthError(
                INCOMPLETE_SIGNATURE,
                "Pre-signed URLs are not supported; sign the Authorization header",
            )
        raise AuthError(MISSING_AUTH, "Missing Authentication Token")
    if len(auth_values) != 1:
        raise AuthError(INCOMPLETE_SIGNATURE, "Exactly one Authorization header is required")
    auth = parse_authorization(auth_values[0])
    if auth.access_key not in credentials:
        raise AuthError(
            UNRECOGNIZED_CLIENT, "The security token included in the request is invalid."
        )
    amz_date = _single(received, "x-amz-date")
    timestamp = parse_amz_date(amz_date)
    _check_scope(auth, amz_date, region)
    missing = [name for name in REQUIRED_SIGNED if name not in auth.signed_headers]
    if missing:
        raise AuthError(INCOMPLETE_SIGNATURE, f"These headers must be signed: {', '.join(missing)}")
    _check_clock(amz_date, timestamp, now, max_skew)
    return auth


def parse_amz_date(amz_date: str) -> datetime:
    """The UTC time of an ``X-Amz-Date`` value; IncompleteSignatureException if malformed."""
    try:
        return datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as err:
        raise AuthError(
            INCOMPLETE_SIGNATURE, "X-Amz-Date must be in the form YYYYMMDDTHHMMSSZ"
        ) from err


def verify_request(
    *,
    method: str,
    path_qs: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    credentials: Mapping[str, str],
    now: datetime,
    max_skew: timedelta,
    region: str | None = None,
) -> str:
    """Verify a received request's SigV4 signature and return the caller's access key.

    ``headers`` are the received (name, value) pairs; ``region`` None accepts any region in the
    credential scope (the signature is still computed with that region). Runs every check of
    :func:`precheck_request` again (the key may have been removed meanwhile), then the
    signature. Raises :class:`AuthError` (HTTP 403) on every refusal.
    """
    auth = precheck_request(
        path_qs=path_qs,
        headers=headers,
        credentials=credentials,
        now=now,
        max_skew=max_skew,
        region=region,
    )
    secret = credentials.get(auth.access_key)
    if secret is None:  # removed between the two look-ups
        raise AuthError(
            UNRECOGNIZED_CLIENT, "The security token included in the request is invalid."
        )
    received = _group_headers(headers)
    amz_date = received["x-amz-date"][0]
    signed = HTTPHeaders()
    for name in auth.signed_headers:
        values = received.get(name)
        if not values:
            raise AuthError(INVALID_SIGNATURE, f"Signed header '{name}' is missing")
        for value in values:
            signed[name] = value
    _check_payload_hash(received, auth, body)

    request = AWSRequest(
        method=method.upper(),
        url=f"http://{received['host'][0]}{path_qs}",
        data=body,
        headers={name: ",".join(received[name]) for name in auth.signed_headers},
    )
    request.context["timestamp"] = amz_date
    signer = _ReceivedRequestSigner(Credentials(auth.access_key, secret), auth.region, signed)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected.encode("ascii"), auth.signature.encode("ascii")):
        raise AuthError(INVALID_SIGNATURE, _MISMATCH)
    return auth.access_key


def _group_headers(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


def _single(received: Mapping[str, list[str]], name: str) -> str:
    values = received.get(name, [])
    if len(values) != 1:
        raise AuthError(INCOMPLETE_SIGNATURE, f"Exactly one {name} header is required")
    return values[0]


def _check_scope(auth: Authorization, amz_date: str, region: str | None) -> None:
    if auth.date != amz_date[:8]:
        raise AuthError(
            INVALID_SIGNATURE,
            f"Credential should be scoped to a valid date, not '{auth.date}'",
        )
    if auth.service != SERVICE:
        raise AuthError(
            INVALID_SIGNATURE,
            f"Credential should be scoped to correct service: '{SERVICE}'.",
        )
    if auth.terminator != "aws4_request":
        raise AuthError(
            INVALID_SIGNATURE, "Credential should be scoped with a valid terminator: 'aws4_request'"
        )
    if region is not None and auth.region != region:
        raise AuthError(
            INVALID_SIGNATURE,
            f"Credential should be scoped to a valid region, not '{auth.region}'.",
        )


def _check_payload_hash(
    received: Mapping[str, list[str]], auth: Authorization, body: bytes
) -> None:
    """A signed x-amz-content-sha256 replaces the body hash in SigV4, so it must be the truth."""
    if "x-amz-content-sha256" not in auth.signed_headers:
        return
    claimed = received["x-amz-content-sha256"][0].strip().lower()
    if not hmac.compare_digest(claimed.encode(), hashlib.sha256(body).hexdigest().encode()):
        raise AuthError(
            INVALID_SIGNATURE,
            "The provided 'x-amz-content-sha256' header does not match the request body",
        )


def _check_clock(amz_date: str, timestamp: datetime, now: datetime, max_skew: timedelta) -> None:
    minutes = max_skew.total_seconds() / 60
    if timestamp < now - max_skew:
        earliest = (now - max_skew).strftime(AMZ_DATE_FORMAT)
        raise AuthError(
            INVALID_SIGNATURE,
            f"Signature expired: {amz_date} is now earlier than {earliest} "
            f"({now.strftime(AMZ_DATE_FORMAT)} - {minutes:g} min.)",
        )
    if timestamp > now + max_skew:
        latest = (now + max_skew).strftime(AMZ_DATE_FORMAT)
        raise AuthError(
            INVALID_SIGNATURE,
            f"Signature not yet current: {amz_date} is still later than {latest} "
            f"({now.strftime(AMZ_DATE_FORMAT)} + {minutes:g} min.)",
        )
