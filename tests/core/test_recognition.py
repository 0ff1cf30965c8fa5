"""Tests for the Rekognition client: request shapes, error mapping, rate limiting, privacy.

Service responses come from botocore's Stubber (which validates request parameters against the
real Rekognition model) or, where botocore's own retry and logging paths matter, from a
``before-send`` hook on a real client. Only the certificate pinning of a bridge's engine is tested
against a real HTTPS server, on loopback.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import logging
from pathlib import Path
import threading
from types import SimpleNamespace
from typing import Any, ClassVar
import uuid

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
import botocore.endpoint
from botocore.exceptions import (
    BotoCoreError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    UnknownEndpointError,
)
import botocore.session
from botocore.stub import Stubber
import pytest

from custom_components.smartshop import recognition
from custom_components.smartshop.imaging import BoundingBox, crop_region, prepare_image
from custom_components.smartshop.recognition import (
    CREDENTIAL_CHECK_COLLECTION,
    MAX_YAW_DEGREES,
    MIN_FACE_WIDTH_PX,
    MIN_SHARPNESS,
    RATE_LIMITED_OPERATIONS,
    REQUEST_NONCE_HEADER,
    AccessDeniedError,
    AuthenticationError,
    BackendConfig,
    BackendUnavailableError,
    CertificateMismatchError,
    CollectionNotFoundError,
    CollectionUser,
    FaceAssociationError,
    FaceMatch,
    FrameResult,
    IndexedFace,
    InvalidImageError,
    MultipleFacesError,
    NoFaceError,
    PhotoQualityError,
    RateLimiter,
    RecognitionClient,
    RecognitionError,
    ThrottledError,
    WrongRegionError,
    botocore_config,
    check_enrolment_face,
    create_boto3_client,
)
from edge_bridge.tls import BridgeCertificate, load_or_create_certificate

ROOT = Path(__file__).parent.parent.parent
ASTRONAUT = (ROOT / "tests" / "fixtures" / "faces" / "astronaut.jpg").read_bytes()
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSMARTSHOP"
CONFIG = BackendConfig(access_key_id="AKIASMARTSHOPTEST", secret_access_key=SECRET)
ENGINE = BackendConfig(
    access_key_id="engine-key",
    secret_access_key=SECRET,
    region="shop-local-1",
    endpoint_url="http://bridge.invalid:8100",
)
PERSON = str(uuid.UUID(int=1))
FACE_ID = str(uuid.UUID(int=2))
ARN = "arn:aws:rekognition:eu-west-2:123456789012:collection/theft"


def _box(left: float, top: float, width: float, height: float) -> dict[str, float]:
    return {"Left": left, "Top": top, "Width": width, "Height": height}


def _detail(left: float, top: float, width: float, height: float) -> dict[str, Any]:
    return {"BoundingBox": _box(left, top, width, height), "Confidence": 99.9}


def _face(face_id: str = FACE_ID, person: str = PERSON) -> dict[str, Any]:
    return {
        "FaceId": face_id,
        "ExternalImageId": person,
        "Confidence": 99.8,
        "BoundingBox": _box(0.3, 0.2, 0.25, 0.3),
        "ImageId": str(uuid.UUID(int=99)),
    }


def _match(similarity: float, face_id: str = FACE_ID, person: str = PERSON) -> dict[str, Any]:
    return {"Similarity": similarity, "Face": _face(face_id, person)}


def _search_response(*matches: dict[str, Any]) -> dict[str, Any]:
    return {
        "SearchedFaceBoundingBox": _box(0.3, 0.2, 0.25, 0.3),
        "SearchedFaceConfidence": 99.9,
        "FaceMatches": list(matches),
        "FaceModelVersion": "7.0",
    }


def _search_params(collection_id: str, jpeg: bytes, threshold: float = 90.0) -> dict[str, Any]:
    return {
        "CollectionId": collection_id,
        "Image": {"Bytes": jpeg},
        "MaxFaces": 1,
        "FaceMatchThreshold": threshold,
        "QualityFilter": "NONE",
    }


def _detect_params(jpeg: bytes) -> dict[str, Any]:
    return {"Image": {"Bytes": jpeg}, "Attributes": ["DEFAULT"]}


def _boto_client(config: BackendConfig = CONFIG) -> Any:
    return botocore.session.get_session().create_client(
        "rekognition",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=config.secret_access_key,
    )


@dataclass
class Harness:
    client: RecognitionClient
    stubber: Stubber
    prepared_jpeg: bytes


@pytest.fixture(name="harness")
def harness_fixture() -> Iterator[Harness]:
    boto = _boto_client()
    with Stubber(boto) as stubber:
        client = RecognitionClient(
            CONFIG,
            client_factory=lambda: boto,
            rate_limiter=RateLimiter(rate=1000, burst=1000),
            max_faces_per_frame=2,
        )
        yield Harness(client, stubber, prepare_image(ASTRONAUT).jpeg)
        stubber.assert_no_pending_responses()


class _Raw:
    """Just enough of a urllib3 response for botocore to read a body."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


type Answer = Callable[[AWSPreparedRequest], AWSResponse]


def _json_answer(status: int, body: dict[str, Any]) -> Answer:
    def answer(request: AWSPreparedRequest) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))

    return answer


def _raising(error: Exception) -> Answer:
    def answer(request: AWSPreparedRequest) -> AWSResponse:
        raise error

    return answer


@dataclass
class Wire:
    """A real default-factory client whose HTTP layer is replaced by ``answer``."""

    answer: Answer
    requests: list[AWSPreparedRequest]
    retry_sleeps: list[float]

    def factory(self, config: BackendConfig) -> Callable[[], Any]:
        def build() -> Any:
            boto = create_boto3_client(config)

            def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
                self.requests.append(request)
                return self.answer(request)

            boto.meta.events.register("before-send.rekognition", before_send)
            return boto

        return build


@pytest.fixture(name="wire")
def wire_fixture(monkeypatch: pytest.MonkeyPatch) -> Wire:
    wire = Wire(answer=_json_answer(200, {}), requests=[], retry_sleeps=[])
    # botocore sleeps between retries; record the delays instead of waiting.
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=wire.retry_sleeps.append))
    return wire


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


# --- configuration --------------------------------------------------------------------------------


def test_secret_never_in_repr() -> None:
    client = RecognitionClient(CONFIG)
    for text in (
        repr(CONFIG),
        str(CONFIG),
        repr(ENGINE),
        repr(client),
        repr(RecognitionClient(ENGINE)),
    ):
        assert SECRET not in text
    assert "AKIASMARTSHOPTEST" in repr(CONFIG)
    assert "bridge.invalid" in repr(RecognitionClient(ENGINE))
    assert CONFIG.is_aws
    assert not ENGINE.is_aws


def test_default_client_configuration() -> None:
    version = json.loads((ROOT / "custom_components/smartshop/manifest.json").read_text())[
        "version"
    ]
    boto = create_boto3_client(CONFIG)
    config = boto.meta.config
    # max_attempts=4 retries after the first attempt: botocore stores 5 total attempts.
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert config.connect_timeout == 3
    assert config.read_timeout == 10
    assert config.user_agent_extra == f"smartshop/{version}"
    assert boto.meta.region_name == "eu-west-2"
    assert boto.meta.endpoint_url == "https://rekognition.eu-west-2.amazonaws.com"
    assert create_boto3_client(ENGINE).meta.endpoint_url == "http://bridge.invalid:8100"


async def test_factory_called_once_for_concurrent_calls() -> None:
    built: list[Stubber] = []

    def factory() -> Any:
        boto = _boto_client()
        stubber = Stubber(boto)
        for _ in range(3):
            stubber.add_client_error("describe_collection", "ResourceNotFoundException")
        stubber.activate()
        built.append(stubber)
        return boto

    client = RecognitionClient(CONFIG, client_factory=factory)
    assert not built  # nothing is built (no blocking I/O) until the first call
    assert client.config is CONFIG
    await asyncio.gather(client.validate(), client.validate(), client.validate())
    assert len(built) == 1
    built[0].assert_no_pending_responses()
    await client.close()
    await client.close()  # closing twice is harmless


def test_user_agent_without_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recognition, "__file__", "/nonexistent/recognition.py")
    assert botocore_config().user_agent_extra == "smartshop/unknown"


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        (BackendConfig(access_key_id="", secret_access_key=SECRET), "invalid_auth"),
        (BackendConfig(access_key_id="AKIA", secret_access_key=""), "invalid_auth"),
        (
            BackendConfig(access_key_id="a", secret_access_key="b", endpoint_url="not a url"),
            "cannot_connect",
        ),
        (
            BackendConfig(
                access_key_id="a",
                secret_access_key="b",
                endpoint_url="http://x",
                region="bad region!",
            ),
            "wrong_region",
        ),
    ],
    ids=["no-key-id", "no-secret", "bad-endpoint", "malformed-region"],
)
async def test_default_factory_refuses_bad_configuration(
    config: BackendConfig, reason: str
) -> None:
    client = RecognitionClient(config)
    with pytest.raises(RecognitionError) as err:
        await client.validate()
    assert err.value.reason == reason
    assert not client.calls


async def test_broken_aws_environment_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "smartshop-missing-profile")
    client = RecognitionClient(CONFIG)
    with pytest.raises(RecognitionError, match="smartshop-missing-profile") as err:
        await client.validate()
    assert err.value.code == "ProfileNotFound"
    assert not client.calls


async def test_wrong_region_refused_before_any_call() -> None:
    def factory() -> Any:
        raise AssertionError("no client may be built for a region without Rekognition")

    client = RecognitionClient(
        BackendConfig(access_key_id="AKIA", secret_access_key=SECRET, region="eu-north-1"),
        client_factory=factory,
    )
    with pytest.raises(WrongRegionError) as err:
        await client.validate()
    assert err.value.reason == "wrong_region"
    assert "eu-north-1" in str(err.value)
    assert not client.calls


async def test_engine_region_is_not_checked_against_aws() -> None:
    boto = _boto_client(ENGINE)
    with Stubber(boto) as stubber:
        stubber.add_client_error(
            "describe_collection",
            "ResourceNotFoundException",
            expected_params={"CollectionId": CREDENTIAL_CHECK_COLLECTION},
        )
        client = RecognitionClient(ENGINE, client_factory=lambda: boto)
        assert await client.validate() is None
        stubber.assert_no_pending_responses()


# --- validate and error mapping -------------------------------------------------------------------


async def test_validate_credentials_work_when_sentinel_missing(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "describe_collection",
        "ResourceNotFoundException",
        "The collection id: smartshop-credential-check does not exist",
        expected_params={"CollectionId": CREDENTIAL_CHECK_COLLECTION},
    )
    assert await harness.client.validate() is None
    assert harness.client.calls == {"DescribeCollection": 1}


async def test_validate_credentials_work_when_sentinel_exists(harness: Harness) -> None:
    harness.stubber.add_response(
        "describe_collection",
        {"FaceCount": 0, "CollectionARN": ARN, "FaceModelVersion": "7.0"},
        {"CollectionId": CREDENTIAL_CHECK_COLLECTION},
    )
    assert await harness.client.validate() is None


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("UnrecognizedClientException", 400),
        ("InvalidSignatureException", 403),
        ("ExpiredTokenException", 400),
        ("IncompleteSignature", 400),
        ("SomethingForbidden", 403),
    ],
)
async def test_authentication_errors(harness: Harness, code: str, status: int) -> None:
    harness.stubber.add_client_error(
        "describe_collection",
        code,
        "The security token included in the request is invalid.",
        status,
    )
    with pytest.raises(AuthenticationError) as err:
        await harness.client.validate()
    assert err.value.reason == "invalid_auth"
    assert err.value.code == code
    assert SECRET not in str(err.value)


async def test_access_denied_action_parsed_from_message(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "create_collection",
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/shop is not authorized to perform: "
        "rekognition:TagResource on resource: arn:aws:rekognition:eu-west-2:123456789012:"
        "collection/theft because no identity-based policy allows the rekognition:TagResource "
        "action",
    )
    with pytest.raises(AccessDeniedError) as err:
        await harness.client.ensure_collection("theft")
    assert err.value.reason == "access_denied"
    assert err.value.action == "rekognition:TagResource"
    assert "rekognition:TagResource" in str(err.value)


async def test_access_denied_action_defaults_to_operation(harness: Harness) -> None:
    harness.stubber.add_client_error("describe_collection", "AccessDeniedException", "Denied")
    with pytest.raises(AccessDeniedError) as err:
        await harness.client.validate()
    assert err.value.action == "rekognition:DescribeCollection"


async def test_permission_listener_hears_each_call(harness: Harness) -> None:
    """``on_permission`` hears a refusal with its error, and an authorised call (a success, or
    an answer about what the call asked) with None; other failures tell nothing of the
    permission and are not reported. The caller's error is the same either way."""
    heard: list[tuple[str, str | None]] = []
    client = RecognitionClient(
        CONFIG,
        client_factory=lambda: harness.stubber.client,
        on_permission=lambda op, denied: heard.append((op, denied and denied.action)),
    )
    stub = harness.stubber
    stub.add_client_error("create_user", "AccessDeniedException", "Denied")
    stub.add_client_error("create_user", "ThrottlingException", "Slow down")
    stub.add_client_error("create_user", "ConflictException", "The user exists", 409)
    stub.add_response("create_user", {})
    stub.add_client_error("describe_collection", "ResourceNotFoundException", "No collection")
    stub.add_client_error("describe_collection", "UnrecognizedClientException", "Bad token", 400)
    with pytest.raises(AccessDeniedError):
        await client.create_user("theft", "user-1")
    with pytest.raises(ThrottledError):
        await client.create_user("theft", "user-1")
    assert await client.create_user("theft", "user-1") is False
    assert await client.create_user("theft", "user-1") is True
    await client.validate()
    with pytest.raises(AuthenticationError):
        await client.validate()
    assert heard == [
        ("CreateUser", "rekognition:CreateUser"),
        ("CreateUser", None),
        ("CreateUser", None),
        ("DescribeCollection", None),
    ]


async def test_credential_scoped_to_other_region(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "describe_collection",
        "InvalidSignatureException",
        "Credential should be scoped to a valid region. ",
        403,
    )
    with pytest.raises(WrongRegionError):
        await harness.client.validate()


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "ProvisionedThroughputExceededException", "LimitExceededException"],
)
async def test_throttling(harness: Harness, code: str) -> None:
    harness.stubber.add_client_error("search_faces_by_image", code, "Rate exceeded")
    with pytest.raises(ThrottledError) as err:
        await harness.client.search_face(["theft"], ASTRONAUT, threshold=90)
    assert err.value.reason == "throttled"
    assert isinstance(err.value, BackendUnavailableError)


@pytest.mark.parametrize(
    ("code", "status"),
    [("InternalServerError", 500), ("ServiceUnavailableException", 503), ("BadGateway", 502)],
)
async def test_server_side_failures(harness: Harness, code: str, status: int) -> None:
    harness.stubber.add_client_error("describe_collection", code, "oops", status)
    with pytest.raises(BackendUnavailableError) as err:
        await harness.client.validate()
    assert err.value.reason == "cannot_connect"
    assert not isinstance(err.value, ThrottledError)


async def test_unknown_error_keeps_code(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "describe_collection", "InvalidParameterException", "Request has invalid parameters"
    )
    with pytest.raises(RecognitionError) as err:
        await harness.client.describe_collection("theft")
    assert type(err.value) is RecognitionError
    assert err.value.reason == "unknown"
    assert err.value.code == "InvalidParameterException"


async def test_throttling_after_botocore_retries_exhausted(wire: Wire) -> None:
    wire.answer = _json_answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
    client = RecognitionClient(ENGINE, client_factory=wire.factory(ENGINE))
    with pytest.raises(ThrottledError):
        await client.validate()
    assert len(wire.requests) == 5  # one attempt and four standard-mode retries
    assert len(wire.retry_sleeps) == 4
    assert client.calls == {"DescribeCollection": 1}


async def test_every_engine_attempt_is_signed_uniquely(wire: Wire) -> None:
    """The engine refuses a repeated signature (replay protection); identical calls in one
    second and botocore's retries must therefore each carry a signed nonce. AWS gets none."""
    wire.answer = _json_answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
    client = RecognitionClient(ENGINE, client_factory=wire.factory(ENGINE))
    with pytest.raises(ThrottledError):
        await client.validate()
    nonces = [request.headers[REQUEST_NONCE_HEADER] for request in wire.requests]
    assert len(set(nonces)) == len(wire.requests) == 5
    for request in wire.requests:
        authorization = request.headers["Authorization"].decode()
        assert REQUEST_NONCE_HEADER in authorization.split("SignedHeaders=")[1].split(",")[0]
    aws_wire = Wire(answer=_json_answer(200, {}), requests=[], retry_sleeps=[])
    aws = RecognitionClient(CONFIG, client_factory=aws_wire.factory(CONFIG))
    await aws.describe_collection("c")
    assert REQUEST_NONCE_HEADER not in aws_wire.requests[0].headers


async def test_html_error_page_from_a_proxy(wire: Wire) -> None:
    def answer(request: AWSPreparedRequest) -> AWSResponse:
        return AWSResponse(
            request.url, 502, {"Content-Type": "text/html"}, _Raw(b"<html>502</html>")
        )

    wire.answer = answer
    client = RecognitionClient(ENGINE, client_factory=wire.factory(ENGINE))
    with pytest.raises(BackendUnavailableError):
        await client.validate()


@pytest.mark.parametrize(
    ("error", "expected", "reason"),
    [
        (
            EndpointConnectionError(endpoint_url="http://bridge.invalid:8100/"),
            BackendUnavailableError,
            "cannot_connect",
        ),
        (
            ConnectTimeoutError(endpoint_url="http://bridge.invalid:8100/"),
            BackendUnavailableError,
            "cannot_connect",
        ),
        (
            ReadTimeoutError(endpoint_url="http://bridge.invalid:8100/"),
            BackendUnavailableError,
            "cannot_connect",
        ),
        (
            ConnectionClosedError(endpoint_url="http://bridge.invalid:8100/"),
            BackendUnavailableError,
            "cannot_connect",
        ),
        (NoCredentialsError(), AuthenticationError, "invalid_auth"),
        (
            UnknownEndpointError(service_name="rekognition", region_name="x"),
            WrongRegionError,
            "wrong_region",
        ),
        (BotoCoreError(), RecognitionError, "unknown"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
async def test_transport_errors(
    wire: Wire, error: Exception, expected: type[RecognitionError], reason: str
) -> None:
    wire.answer = _raising(error)
    client = RecognitionClient(ENGINE, client_factory=wire.factory(ENGINE))
    with pytest.raises(expected) as err:
        await client.validate()
    assert err.value.reason == reason
    assert err.value.__cause__ is error


# --- collections ----------------------------------------------------------------------------------


async def test_ensure_collection_creates(harness: Harness) -> None:
    harness.stubber.add_response(
        "create_collection",
        {"StatusCode": 200, "CollectionArn": ARN, "FaceModelVersion": "7.0"},
        {"CollectionId": "theft"},
    )
    assert await harness.client.ensure_collection("theft") == ARN


async def test_ensure_collection_existing_is_fine(harness: Harness) -> None:
    harness.stubber.add_client_error("create_collection", "ResourceAlreadyExistsException")
    assert await harness.client.ensure_collection("theft") == "theft"


async def test_ensure_collection_other_errors_raise(harness: Harness) -> None:
    harness.stubber.add_client_error("create_collection", "ServiceQuotaExceededException")
    with pytest.raises(RecognitionError) as err:
        await harness.client.ensure_collection("theft")
    assert err.value.code == "ServiceQuotaExceededException"


@pytest.mark.parametrize("bad", ["", "has space", "../etc", "x" * 256, "Zoë"])
async def test_collection_id_validated(harness: Harness, bad: str) -> None:
    with pytest.raises(ValueError, match="collection id"):
        await harness.client.ensure_collection(bad)
    assert not harness.client.calls


async def test_delete_collection(harness: Harness) -> None:
    harness.stubber.add_response(
        "delete_collection", {"StatusCode": 200}, {"CollectionId": "theft"}
    )
    harness.stubber.add_client_error("delete_collection", "ResourceNotFoundException")
    await harness.client.delete_collection("theft")
    await harness.client.delete_collection("theft")  # already gone: fine
    assert harness.client.calls == {"DeleteCollection": 2}


async def test_describe_collection(harness: Harness) -> None:
    harness.stubber.add_response(
        "describe_collection",
        {"FaceCount": 12, "CollectionARN": ARN, "FaceModelVersion": "7.0", "UserCount": 0},
        {"CollectionId": "theft"},
    )
    info = await harness.client.describe_collection("theft")
    assert info["FaceCount"] == 12
    assert info["CollectionARN"] == ARN
    assert "ResponseMetadata" not in info


async def test_describe_missing_collection(harness: Harness) -> None:
    harness.stubber.add_client_error("describe_collection", "ResourceNotFoundException")
    with pytest.raises(CollectionNotFoundError) as err:
        await harness.client.describe_collection("theft")
    assert err.value.reason == "collection_not_found"


async def test_list_faces_follows_next_token(harness: Harness) -> None:
    other = str(uuid.UUID(int=3))
    harness.stubber.add_response(
        "list_faces",
        {"Faces": [_face()], "NextToken": "page-2"},
        {"CollectionId": "theft", "MaxResults": 4096},
    )
    harness.stubber.add_response(
        "list_faces",
        {"Faces": [{"FaceId": other, "Confidence": 99.0}]},
        {"CollectionId": "theft", "MaxResults": 4096, "NextToken": "page-2"},
    )
    faces = await harness.client.list_faces("theft")
    assert faces == [
        IndexedFace(FACE_ID, PERSON, 99.8, BoundingBox(0.3, 0.2, 0.25, 0.3)),
        IndexedFace(other, "", 99.0, None),
    ]
    assert harness.client.calls == {"ListFaces": 2}


async def test_list_faces_missing_collection(harness: Harness) -> None:
    harness.stubber.add_client_error("list_faces", "ResourceNotFoundException")
    with pytest.raises(CollectionNotFoundError):
        await harness.client.list_faces("theft")


# --- enrolment ------------------------------------------------------------------------------------


async def test_index_face(harness: Harness) -> None:
    jpeg = harness.prepared_jpeg
    harness.stubber.add_response(
        "detect_faces", {"FaceDetails": [_detail(0.3, 0.2, 0.25, 0.3)]}, _detect_params(jpeg)
    )
    harness.stubber.add_response(
        "index_faces",
        {"FaceRecords": [{"Face": _face()}], "UnindexedFaces": [], "FaceModelVersion": "7.0"},
        {
            "CollectionId": "theft",
            "Image": {"Bytes": jpeg},
            "ExternalImageId": PERSON,
            "MaxFaces": 1,
            "QualityFilter": "AUTO",
            "DetectionAttributes": [],
        },
    )
    face = await harness.client.index_face("theft", ASTRONAUT, PERSON)
    assert face == IndexedFace(FACE_ID, PERSON, 99.8, BoundingBox(0.3, 0.2, 0.25, 0.3))
    assert harness.client.calls == {"DetectFaces": 1, "IndexFaces": 1}


async def test_index_face_refuses_no_face(harness: Harness) -> None:
    harness.stubber.add_response("detect_faces", {"FaceDetails": []})
    with pytest.raises(NoFaceError) as err:
        await harness.client.index_face("theft", ASTRONAUT, PERSON)
    assert err.value.reason == "no_face"
    assert "IndexFaces" not in harness.client.calls


async def test_index_face_refuses_two_faces(harness: Harness) -> None:
    harness.stubber.add_response(
        "detect_faces",
        {"FaceDetails": [_detail(0.1, 0.1, 0.2, 0.2), _detail(0.6, 0.1, 0.2, 0.2)]},
    )
    with pytest.raises(MultipleFacesError) as err:
        await harness.client.index_face("theft", ASTRONAUT, PERSON)
    assert err.value.reason == "multiple_faces"
    assert err.value.count == 2
    assert "IndexFaces" not in harness.client.calls


async def test_index_face_low_quality(harness: Harness) -> None:
    harness.stubber.add_response("detect_faces", {"FaceDetails": [_detail(0.3, 0.2, 0.2, 0.2)]})
    harness.stubber.add_response(
        "index_faces",
        {
            "FaceRecords": [],
            "UnindexedFaces": [{"Reasons": ["LOW_BRIGHTNESS", "LOW_SHARPNESS"], "FaceDetail": {}}],
        },
    )
    with pytest.raises(InvalidImageError) as err:
        await harness.client.index_face("theft", ASTRONAUT, PERSON)
    assert err.value.reason == "invalid_image"
    assert err.value.image_reason == "low_quality"
    assert "LOW_BRIGHTNESS, LOW_SHARPNESS" in str(err.value)


async def test_index_face_nothing_indexed_and_no_reason(harness: Harness) -> None:
    harness.stubber.add_response("detect_faces", {"FaceDetails": [_detail(0.3, 0.2, 0.2, 0.2)]})
    harness.stubber.add_response("index_faces", {"FaceRecords": [], "UnindexedFaces": []})
    with pytest.raises(NoFaceError):
        await harness.client.index_face("theft", ASTRONAUT, PERSON)


async def test_index_face_into_missing_collection(harness: Harness) -> None:
    harness.stubber.add_response("detect_faces", {"FaceDetails": [_detail(0.3, 0.2, 0.2, 0.2)]})
    harness.stubber.add_client_error("index_faces", "ResourceNotFoundException")
    with pytest.raises(CollectionNotFoundError):
        await harness.client.index_face("theft", ASTRONAUT, PERSON)


async def test_index_face_backend_rejects_image(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "detect_faces", "InvalidImageFormatException", "Request has unsupported image format"
    )
    with pytest.raises(InvalidImageError) as err:
        await harness.client.index_face("theft", ASTRONAUT, PERSON)
    assert err.value.image_reason == "invalid_format"


@pytest.mark.parametrize("bad", ["Jane Doe", "", "name/with/slash", "x" * 256])
async def test_index_face_external_id_validated(harness: Harness, bad: str) -> None:
    with pytest.raises(ValueError, match="external image id"):
        await harness.client.index_face("theft", ASTRONAUT, bad)
    assert not harness.client.calls


@pytest.mark.parametrize(
    ("data", "image_reason"),
    [(b"", "empty"), (b"<html></html>", "not_an_image"), (ASTRONAUT[:5000], "truncated")],
)
async def test_index_face_bad_image_never_sent(
    harness: Harness, data: bytes, image_reason: str
) -> None:
    with pytest.raises(InvalidImageError) as err:
        await harness.client.index_face("theft", data, PERSON)
    assert err.value.reason == "invalid_image"
    assert err.value.image_reason == image_reason
    assert not harness.client.calls


async def test_delete_faces_in_batches(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    ids = [str(uuid.UUID(int=n)) for n in range(5000)]
    harness.stubber.add_response(
        "delete_faces",
        {"DeletedFaces": ids[:4096]},
        {"CollectionId": "theft", "FaceIds": ids[:4096]},
    )
    harness.stubber.add_response(
        "delete_faces",
        {
            "DeletedFaces": ids[4096:-1],
            "UnsuccessfulFaceDeletions": [
                {"FaceId": ids[-1], "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}
            ],
        },
        {"CollectionId": "theft", "FaceIds": ids[4096:]},
    )
    deleted = await harness.client.delete_faces("theft", ids)
    assert deleted == ids[:-1]
    assert harness.client.calls == {"DeleteFaces": 2}
    assert "ASSOCIATED_TO_AN_EXISTING_USER" in caplog.text


async def test_delete_no_faces_makes_no_call(harness: Harness) -> None:
    assert await harness.client.delete_faces("theft", []) == []
    assert not harness.client.calls


# --- searching ------------------------------------------------------------------------------------


async def test_search_face_sorted_across_collections(harness: Harness) -> None:
    jpeg = harness.prepared_jpeg
    other_face, other_person = str(uuid.UUID(int=4)), str(uuid.UUID(int=5))
    harness.stubber.add_response(
        "search_faces_by_image", _search_response(_match(91.5)), _search_params("theft", jpeg, 85)
    )
    harness.stubber.add_response(
        "search_faces_by_image",
        _search_response(_match(99.1, other_face, other_person)),
        _search_params("banned", jpeg, 85),
    )
    matches = await harness.client.search_face(["theft", "banned"], ASTRONAUT, threshold=85)
    box = BoundingBox(0.3, 0.2, 0.25, 0.3)
    assert matches == [
        FaceMatch("banned", other_face, other_person, 99.1, box),
        FaceMatch("theft", FACE_ID, PERSON, 91.5, box),
    ]
    assert harness.client.calls == {"SearchFacesByImage": 2}


async def test_search_face_max_matches(harness: Harness) -> None:
    params = _search_params("theft", harness.prepared_jpeg) | {"MaxFaces": 3}
    harness.stubber.add_response(
        "search_faces_by_image",
        _search_response(_match(90.5), _match(97.0, str(uuid.UUID(int=8)))),
        params,
    )
    matches = await harness.client.search_face(["theft"], ASTRONAUT, threshold=90, max_matches=3)
    assert [match.similarity for match in matches] == [97.0, 90.5]


async def test_search_face_no_face_is_not_an_error(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "search_faces_by_image",
        "InvalidParameterException",
        "There are no faces in the image. Should be at least 1.",
    )
    # Only one call: the second collection would see no face either.
    assert await harness.client.search_face(["theft", "banned"], ASTRONAUT, threshold=90) == []
    assert harness.client.calls == {"SearchFacesByImage": 1}


async def test_search_face_other_invalid_parameter_raises(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "search_faces_by_image", "InvalidParameterException", "Request has invalid parameters"
    )
    with pytest.raises(RecognitionError) as err:
        await harness.client.search_face(["theft"], ASTRONAUT, threshold=90)
    assert err.value.code == "InvalidParameterException"


async def test_search_face_missing_collection(harness: Harness) -> None:
    harness.stubber.add_client_error("search_faces_by_image", "ResourceNotFoundException")
    with pytest.raises(CollectionNotFoundError):
        await harness.client.search_face(["theft"], ASTRONAUT, threshold=90)


async def test_search_face_image_too_large_for_backend(harness: Harness) -> None:
    harness.stubber.add_client_error("search_faces_by_image", "ImageTooLargeException")
    with pytest.raises(InvalidImageError) as err:
        await harness.client.search_face(["theft"], ASTRONAUT, threshold=90)
    assert err.value.image_reason == "too_large"


async def test_search_face_argument_checks(harness: Harness) -> None:
    with pytest.raises(ValueError, match="threshold"):
        await harness.client.search_face(["theft"], ASTRONAUT, threshold=101)
    with pytest.raises(ValueError, match="max_matches"):
        await harness.client.search_face(["theft"], ASTRONAUT, threshold=90, max_matches=0)
    with pytest.raises(TypeError):
        await harness.client.search_face("theft", ASTRONAUT, threshold=90)
    with pytest.raises(ValueError, match="threshold"):
        await harness.client.search_frame(["theft"], ASTRONAUT, threshold=-1)
    assert await harness.client.search_face([], ASTRONAUT, threshold=90) == []
    assert await harness.client.search_frame([], ASTRONAUT, threshold=90) == FrameResult(0, 0, [])
    assert not harness.client.calls


async def test_search_frame_without_faces_searches_nothing(harness: Harness) -> None:
    harness.stubber.add_response(
        "detect_faces", {"FaceDetails": []}, _detect_params(harness.prepared_jpeg)
    )
    result = await harness.client.search_frame(["theft"], ASTRONAUT, threshold=90)
    assert result == FrameResult(total_faces=0, searched_faces=0, matches=[])
    assert harness.client.calls == {"DetectFaces": 1}


async def test_search_frame_single_face_searches_whole_frame(harness: Harness) -> None:
    jpeg = harness.prepared_jpeg
    harness.stubber.add_response(
        "detect_faces", {"FaceDetails": [_detail(0.4, 0.1, 0.2, 0.3)]}, _detect_params(jpeg)
    )
    harness.stubber.add_response(
        "search_faces_by_image", _search_response(_match(96.0)), _search_params("theft", jpeg)
    )
    harness.stubber.add_response(
        "search_faces_by_image", _search_response(), _search_params("banned", jpeg)
    )
    result = await harness.client.search_frame(["theft", "banned"], ASTRONAUT, threshold=90)
    assert result == FrameResult(
        total_faces=1,
        searched_faces=1,
        matches=[FaceMatch("theft", FACE_ID, PERSON, 96.0, BoundingBox(0.4, 0.1, 0.2, 0.3))],
    )


async def test_search_frame_crops_largest_faces_first_up_to_cap(harness: Harness) -> None:
    jpeg = harness.prepared_jpeg
    prepared = prepare_image(ASTRONAUT)
    small, large, medium = (
        _box(0.05, 0.05, 0.05, 0.05),
        _box(0.5, 0.4, 0.3, 0.3),
        _box(0.1, 0.5, 0.2, 0.2),
    )
    harness.stubber.add_response(
        "detect_faces",
        {"FaceDetails": [{"BoundingBox": box} for box in (small, large, medium)]},
        _detect_params(jpeg),
    )
    large_crop = crop_region(prepared, BoundingBox.from_aws(large)).jpeg
    medium_crop = crop_region(prepared, BoundingBox.from_aws(medium)).jpeg
    assert large_crop != medium_crop
    other_face, other_person = str(uuid.UUID(int=6)), str(uuid.UUID(int=7))
    expected = [
        (large_crop, "theft", _search_response(_match(91.0))),
        (large_crop, "banned", _search_response()),
        (medium_crop, "theft", _search_response()),
        (medium_crop, "banned", _search_response(_match(97.5, other_face, other_person))),
    ]
    for crop, collection_id, response in expected:
        harness.stubber.add_response(
            "search_faces_by_image", response, _search_params(collection_id, crop)
        )
    result = await harness.client.search_frame(["theft", "banned"], ASTRONAUT, threshold=90)
    assert result.total_faces == 3
    assert result.searched_faces == 2
    assert result.matches == [
        FaceMatch("banned", other_face, other_person, 97.5, BoundingBox.from_aws(medium)),
        FaceMatch("theft", FACE_ID, PERSON, 91.0, BoundingBox.from_aws(large)),
    ]
    assert harness.client.calls == {"DetectFaces": 1, "SearchFacesByImage": 4}


async def test_search_frame_crop_without_face_and_box_outside(harness: Harness) -> None:
    prepared = prepare_image(ASTRONAUT)
    outside, inside = _box(1.2, 0.1, 0.5, 0.5), _box(0.1, 0.1, 0.2, 0.2)
    harness.stubber.add_response(
        "detect_faces", {"FaceDetails": [{"BoundingBox": inside}, {"BoundingBox": outside}]}
    )
    harness.stubber.add_client_error(
        "search_faces_by_image",
        "InvalidParameterException",
        "There are no faces in the image. Should be at least 1.",
        expected_params=_search_params(
            "theft", crop_region(prepared, BoundingBox.from_aws(inside)).jpeg
        ),
    )
    result = await harness.client.search_frame(["theft", "banned"], ASTRONAUT, threshold=90)
    assert result == FrameResult(total_faces=2, searched_faces=1, matches=[])


def test_max_faces_per_frame_validated() -> None:
    with pytest.raises(ValueError, match="max_faces_per_frame"):
        RecognitionClient(CONFIG, max_faces_per_frame=0)


# --- rate limiting --------------------------------------------------------------------------------


async def test_rate_limiter_fifo_at_rate_with_fake_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=5, burst=5, clock=clock, sleep=clock.sleep)
    done: list[tuple[int, float]] = []

    async def worker(number: int) -> None:
        await limiter.acquire()
        done.append((number, clock.now))

    await asyncio.gather(*(worker(number) for number in range(50)))
    assert [number for number, _ in done] == list(range(50))
    for number, at in done:
        assert at == pytest.approx(max(0, number - 4) * 0.2)
    assert limiter.rate == 5


async def test_rate_limiter_refills_while_idle() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2, burst=2, clock=clock, sleep=clock.sleep)
    for _ in range(2):
        await limiter.acquire()
    clock.now += 10  # idle: the bucket refills, but only up to burst
    for _ in range(2):
        await limiter.acquire()
    assert clock.now == 10
    await limiter.acquire()
    assert clock.now == pytest.approx(10.5)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (5, 0)])
def test_rate_limiter_arguments(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate=rate, burst=burst)


async def test_fifty_queued_searches_from_two_cameras_none_lost() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=5, burst=5, clock=clock, sleep=clock.sleep)
    stubbers: list[Stubber] = []
    clients: list[RecognitionClient] = []
    jpeg = prepare_image(ASTRONAUT).jpeg
    for _ in range(2):
        boto = _boto_client()
        stubber = Stubber(boto)
        for _ in range(25):
            stubber.add_response(
                "search_faces_by_image",
                _search_response(_match(95.0)),
                _search_params("theft", jpeg),
            )
        stubber.activate()
        stubbers.append(stubber)
        clients.append(
            RecognitionClient(CONFIG, client_factory=lambda boto=boto: boto, rate_limiter=limiter)
        )
    results = await asyncio.gather(
        *(clients[n % 2].search_face(["theft"], ASTRONAUT, threshold=90) for n in range(50))
    )
    assert len(results) == 50
    assert all(len(matches) == 1 for matches in results)
    assert clock.now == pytest.approx(9.0)  # 5 at once, then 45 at 5 per second
    for stubber, client in zip(stubbers, clients, strict=True):
        stubber.assert_no_pending_responses()
        assert client.calls == {"SearchFacesByImage": 25}


async def test_bookkeeping_calls_take_no_search_tokens() -> None:
    """Set-up and migration calls (collections, users) do not hold searches back."""
    clock = FakeClock()
    limiter = RateLimiter(rate=5, burst=1, clock=clock, sleep=clock.sleep)
    boto = _boto_client()
    client = RecognitionClient(CONFIG, client_factory=lambda: boto, rate_limiter=limiter)
    with Stubber(boto) as stubber:
        for _ in range(3):
            stubber.add_response(
                "describe_collection",
                {"FaceCount": 0, "FaceModelVersion": "7.0"},
                {"CollectionId": "theft"},
            )
        for _ in range(3):
            await client.describe_collection("theft")
        stubber.assert_no_pending_responses()
    assert clock.now == 0.0  # no wait: three calls against a bucket of one
    assert "DescribeCollection" not in RATE_LIMITED_OPERATIONS
    assert "SearchUsersByImage" in RATE_LIMITED_OPERATIONS


# --- privacy --------------------------------------------------------------------------------------


async def test_debug_logs_carry_no_image_and_no_secret(
    wire: Wire, caplog: pytest.LogCaptureFixture
) -> None:
    wire.answer = _json_answer(200, _search_response())
    caplog.set_level(logging.DEBUG)
    client = RecognitionClient(ENGINE, client_factory=wire.factory(ENGINE))
    assert await client.search_face(["theft"], ASTRONAUT, threshold=90) == []
    jpeg = prepare_image(ASTRONAUT).jpeg
    sent = json.loads(wire.requests[0].body)
    assert base64.b64decode(sent["Image"]["Bytes"]) == jpeg
    assert "Making request for" in caplog.text
    assert "<redacted>" in caplog.text
    assert sent["Image"]["Bytes"][:64] not in caplog.text
    assert SECRET not in caplog.text


class _EngineHandler(BaseHTTPRequestHandler):
    """A Rekognition-compatible engine that knows no collection (enough for ``validate``)."""

    requests: ClassVar[list[tuple[str, int]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.requests.append((self.headers.get("X-Amz-Target", ""), len(body)))
        answer = json.dumps({"__type": "ResourceNotFoundException", "Message": "none"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _QuietServer(ThreadingHTTPServer):
    """A client that drops the connection (the pinned one refusing a certificate) is expected."""

    # server_close() joins the request threads: a request thread still finishing at teardown
    # (a slow machine) is otherwise a lingering thread that fails the test's clean-up check.
    daemon_threads = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """No traceback for a connection the client reset."""


@pytest.fixture(scope="module")
def engine_certificate(tmp_path_factory: pytest.TempPathFactory) -> BridgeCertificate:
    """The engine's certificate, made as a bridge makes its own."""
    return load_or_create_certificate(tmp_path_factory.mktemp("engine-tls"))


@pytest.fixture
def tls_engine(
    engine_certificate: BridgeCertificate, socket_enabled: None
) -> Iterator[tuple[str, list[tuple[str, int]]]]:
    """A real HTTPS engine on loopback in a thread: (its URL, the requests it received)."""
    server = _QuietServer(("127.0.0.1", 0), _EngineHandler)
    server.socket = engine_certificate.server_context().wrap_socket(server.socket, server_side=True)
    _EngineHandler.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", _EngineHandler.requests
    server.shutdown()
    server.server_close()
    thread.join()


def _pinned(url: str, pin: bytes) -> RecognitionClient:
    return RecognitionClient(
        BackendConfig(
            access_key_id="SSKENGINE1", secret_access_key=SECRET, endpoint_url=url, cert_sha256=pin
        )
    )


async def test_engine_pinned_by_certificate(
    tls_engine: tuple[str, list[tuple[str, int]]], engine_certificate: BridgeCertificate
) -> None:
    """Through boto3 itself: the engine's self-signed certificate is accepted because it is
    the pinned one (no authority is asked), and the signed request reaches it."""
    url, received = tls_engine
    client = _pinned(url, engine_certificate.sha256)
    await client.validate()
    assert [target for target, _ in received] == ["RekognitionService.DescribeCollection"]
    assert received[0][1] > 0
    boto = await client._get_client()
    assert isinstance(boto._endpoint.http_session, recognition.PinnedURLLib3Session)
    await client.close()


async def test_engine_with_another_certificate_gets_nothing(
    tls_engine: tuple[str, list[tuple[str, int]]],
) -> None:
    """Another certificate than the pinned one: a certificate error, raised once (not retried)
    and before any request, so no signed request nor image reaches the impostor."""
    url, received = tls_engine
    client = _pinned(url, bytes(32))
    with pytest.raises(CertificateMismatchError) as caught:
        await client.validate()
    assert caught.value.reason == "certificate_mismatch"
    assert received == []
    assert client.calls["DescribeCollection"] == 1
    await client.close()


def test_unpinned_clients_keep_botocore_session() -> None:
    """AWS and engines by URL keep botocore's own HTTP session (certificate authorities)."""
    client = create_boto3_client(ENGINE)
    assert not isinstance(client._endpoint.http_session, recognition.PinnedURLLib3Session)
    client.close()


# --- users: several photos per person ---------------------------------------------------------


def _user_params(**extra: Any) -> dict[str, Any]:
    return {"CollectionId": "theft", "UserId": PERSON, **extra}


async def test_create_user_and_already_existing_user(harness: Harness) -> None:
    harness.stubber.add_response("create_user", {}, _user_params())
    harness.stubber.add_client_error(
        "create_user", "ConflictException", "A User with the same Id already exists", 409
    )
    assert await harness.client.create_user("theft", PERSON) is True
    assert await harness.client.create_user("theft", PERSON) is False
    assert harness.client.calls == {"CreateUser": 2}


async def test_create_user_errors_mapped(harness: Harness) -> None:
    harness.stubber.add_client_error("create_user", "ResourceNotFoundException")
    harness.stubber.add_client_error("create_user", "ServiceQuotaExceededException")
    harness.stubber.add_client_error(
        "create_user",
        "AccessDeniedException",
        "User: arn:aws:iam::1:user/shop is not authorized to perform: rekognition:CreateUser",
    )
    with pytest.raises(CollectionNotFoundError):
        await harness.client.create_user("theft", PERSON)
    with pytest.raises(RecognitionError) as err:
        await harness.client.create_user("theft", PERSON)
    assert err.value.code == "ServiceQuotaExceededException"
    with pytest.raises(AccessDeniedError) as denied:
        await harness.client.create_user("theft", PERSON)
    assert denied.value.action == "rekognition:CreateUser"


@pytest.mark.parametrize("bad", ["", "a b", "x" * 129, "ünï"])
async def test_user_id_validated(harness: Harness, bad: str) -> None:
    with pytest.raises(ValueError):
        await harness.client.create_user("theft", bad)
    with pytest.raises(ValueError):
        await harness.client.delete_user("theft", bad)


async def test_delete_user_missing_is_fine(harness: Harness) -> None:
    harness.stubber.add_response("delete_user", {}, _user_params())
    harness.stubber.add_client_error(
        "delete_user", "ResourceNotFoundException", "The UserId does not exist"
    )
    harness.stubber.add_client_error("delete_user", "ThrottlingException")
    assert await harness.client.delete_user("theft", PERSON) is True
    assert await harness.client.delete_user("theft", PERSON) is False
    with pytest.raises(ThrottledError):
        await harness.client.delete_user("theft", PERSON)


async def test_associate_faces_in_batches(harness: Harness) -> None:
    ids = [str(uuid.UUID(int=n)) for n in range(150)]
    harness.stubber.add_response(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": face} for face in ids[:100]], "UserStatus": "UPDATING"},
        _user_params(FaceIds=ids[:100]),
    )
    harness.stubber.add_response(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": face} for face in ids[100:]], "UserStatus": "ACTIVE"},
        _user_params(FaceIds=ids[100:], UserMatchThreshold=80.0),
    )
    first = await harness.client.associate_faces("theft", PERSON, ids[:100])
    second = await harness.client.associate_faces("theft", PERSON, ids[100:], match_threshold=80.0)
    assert first + second == ids
    with pytest.raises(ValueError):
        await harness.client.associate_faces("theft", PERSON, ids, match_threshold=101)


async def test_associate_faces_reports_refusals(harness: Harness) -> None:
    other = str(uuid.UUID(int=3))
    harness.stubber.add_response(
        "associate_faces",
        {
            "AssociatedFaces": [{"FaceId": FACE_ID}],
            "UnsuccessfulFaceAssociations": [
                {"FaceId": other, "Confidence": 41.0, "Reasons": ["LOW_MATCH_CONFIDENCE"]},
                {"FaceId": PERSON, "Reasons": ["FACE_NOT_FOUND", "ASSOCIATED_TO_A_DIFFERENT_USER"]},
            ],
            "UserStatus": "ACTIVE",
        },
    )
    with pytest.raises(FaceAssociationError) as err:
        await harness.client.associate_faces("theft", PERSON, [FACE_ID, other, PERSON])
    assert err.value.reason == "face_not_associated"
    assert err.value.reasons == {
        other: ["LOW_MATCH_CONFIDENCE"],
        PERSON: ["FACE_NOT_FOUND", "ASSOCIATED_TO_A_DIFFERENT_USER"],
    }
    assert err.value.all_reasons == [
        "ASSOCIATED_TO_A_DIFFERENT_USER",
        "FACE_NOT_FOUND",
        "LOW_MATCH_CONFIDENCE",
    ]
    assert "LOW_MATCH_CONFIDENCE" in str(err.value)


async def test_associate_faces_missing_user(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "associate_faces", "ResourceNotFoundException", "The UserId does not exist"
    )
    with pytest.raises(CollectionNotFoundError):
        await harness.client.associate_faces("theft", PERSON, [FACE_ID])


async def test_disassociate_faces_logs_refusals(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    other = str(uuid.UUID(int=3))
    harness.stubber.add_response(
        "disassociate_faces",
        {
            "DisassociatedFaces": [{"FaceId": FACE_ID}],
            "UnsuccessfulFaceDisassociations": [
                {"FaceId": other, "UserId": PERSON, "Reasons": ["FACE_NOT_FOUND"]}
            ],
            "UserStatus": "UPDATING",
        },
        _user_params(FaceIds=[FACE_ID, other]),
    )
    assert await harness.client.disassociate_faces("theft", PERSON, [FACE_ID, other]) == [FACE_ID]
    assert f"Face {other} in theft was not disassociated: FACE_NOT_FOUND" in caplog.text


async def test_list_users_follows_next_token(harness: Harness) -> None:
    other = str(uuid.UUID(int=3))
    harness.stubber.add_response(
        "list_users",
        {"Users": [{"UserId": PERSON, "UserStatus": "ACTIVE"}], "NextToken": "page-2"},
        {"CollectionId": "theft", "MaxResults": 500},
    )
    harness.stubber.add_response(
        "list_users",
        {"Users": [{"UserId": other, "UserStatus": "CREATED"}]},
        {"CollectionId": "theft", "MaxResults": 500, "NextToken": "page-2"},
    )
    assert await harness.client.list_users("theft") == [
        CollectionUser(PERSON, "ACTIVE"),
        CollectionUser(other, "CREATED"),
    ]


def _users_response(*matches: tuple[str, float]) -> dict[str, Any]:
    return {
        "UserMatches": [
            {"Similarity": similarity, "User": {"UserId": user, "UserStatus": "ACTIVE"}}
            for user, similarity in matches
        ],
        "FaceModelVersion": "7.0",
        "SearchedFace": {"FaceDetail": {"BoundingBox": _box(0.3, 0.2, 0.25, 0.3)}},
        "UnsearchedFaces": [],
    }


def _users_params(collection_id: str, jpeg: bytes, max_users: int = 1) -> dict[str, Any]:
    return {
        "CollectionId": collection_id,
        "Image": {"Bytes": jpeg},
        "MaxUsers": max_users,
        "UserMatchThreshold": 90.0,
        "QualityFilter": "NONE",
    }


async def test_search_users_one_call_per_collection(harness: Harness) -> None:
    jpeg = harness.prepared_jpeg
    other = str(uuid.UUID(int=3))
    harness.stubber.add_response(
        "search_users_by_image", _users_response((PERSON, 93.0)), _users_params("theft", jpeg, 2)
    )
    harness.stubber.add_response(
        "search_users_by_image", _users_response((other, 97.5)), _users_params("banned", jpeg, 2)
    )
    matches = await harness.client.search_users(
        ["theft", "banned"], ASTRONAUT, threshold=90, max_users=2
    )
    box = BoundingBox(0.3, 0.2, 0.25, 0.3)
    assert matches == [
        FaceMatch("banned", "", other, 97.5, box, user_id=other),
        FaceMatch("theft", "", PERSON, 93.0, box, user_id=PERSON),
    ]
    assert harness.client.calls == {"SearchUsersByImage": 2}


async def test_search_users_no_face_and_argument_checks(harness: Harness) -> None:
    harness.stubber.add_client_error(
        "search_users_by_image", "InvalidParameterException", "There are no faces in the image."
    )
    assert await harness.client.search_users(["theft", "banned"], ASTRONAUT, threshold=90) == []
    assert await harness.client.search_users([], ASTRONAUT, threshold=90) == []
    with pytest.raises(ValueError):
        await harness.client.search_users(["theft"], ASTRONAUT, threshold=90, max_users=501)
    with pytest.raises(ValueError):
        await harness.client.search_users(["theft"], ASTRONAUT, threshold=-1)


async def test_search_frame_by_user(harness: Harness) -> None:
    jpeg = harness.prepared_jpeg
    harness.stubber.add_response(
        "detect_faces", {"FaceDetails": [_detail(0.4, 0.1, 0.2, 0.3)]}, _detect_params(jpeg)
    )
    harness.stubber.add_response(
        "search_users_by_image", _users_response((PERSON, 96.0)), _users_params("theft", jpeg)
    )
    result = await harness.client.search_frame(["theft"], ASTRONAUT, threshold=90, by_user=True)
    assert result == FrameResult(
        total_faces=1,
        searched_faces=1,
        matches=[
            FaceMatch("theft", "", PERSON, 96.0, BoundingBox(0.4, 0.1, 0.2, 0.3), user_id=PERSON)
        ],
    )


# --- the enrolment quality gate ----------------------------------------------------------------


def _gate_detail(
    width: float = 0.2, *, sharpness: float = 95.0, yaw: float = 0.0, pitch: float = 0.0
) -> dict[str, Any]:
    return _detail(0.3, 0.2, width, width) | {
        "Pose": {"Roll": 0.0, "Yaw": yaw, "Pitch": pitch},
        "Quality": {"Brightness": 60.0, "Sharpness": sharpness},
    }


@pytest.mark.parametrize(
    ("detail", "image_reason"),
    [
        (_gate_detail(0.15), "face_too_small"),  # 77 px of the 512 px photo
        (_gate_detail(sharpness=12.0), "blurred"),
        (_gate_detail(yaw=-38.0), "turned_away"),
        (_gate_detail(pitch=31.0), "turned_away"),
    ],
)
async def test_quality_gate_refusals(
    harness: Harness, detail: dict[str, Any], image_reason: str
) -> None:
    harness.stubber.add_response("detect_faces", {"FaceDetails": [detail]})
    with pytest.raises(PhotoQualityError) as err:
        await harness.client.index_face("theft", ASTRONAUT, PERSON)
    assert err.value.reason == "invalid_image"
    assert err.value.image_reason == image_reason
    assert "IndexFaces" not in harness.client.calls


async def test_quality_gate_passes_at_its_bounds(harness: Harness) -> None:
    # 0.16 of 512 px is 82 px; sharpness, yaw and pitch exactly at their bounds.
    detail = _gate_detail(0.16, sharpness=MIN_SHARPNESS, yaw=-MAX_YAW_DEGREES, pitch=30.0)
    harness.stubber.add_response("detect_faces", {"FaceDetails": [detail]})
    harness.stubber.add_response(
        "index_faces", {"FaceRecords": [{"Face": _face()}], "UnindexedFaces": []}
    )
    face = await harness.client.index_face("theft", ASTRONAUT, PERSON)
    assert face.face_id == FACE_ID
    assert MIN_FACE_WIDTH_PX == 80


def test_quality_gate_counts_faces() -> None:
    image = prepare_image(ASTRONAUT)
    with pytest.raises(NoFaceError):
        check_enrolment_face([], image)
    with pytest.raises(MultipleFacesError):
        check_enrolment_face([_gate_detail(), _gate_detail()], image)
    assert check_enrolment_face([_gate_detail()], image) == BoundingBox(0.3, 0.2, 0.2, 0.2)
