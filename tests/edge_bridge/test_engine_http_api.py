"""The engine's HTTP front end: SigV4 refusals and protocol errors, raw and through boto3."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import http.client
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
import pytest

from edge_bridge.engine import EngineConfig
from tests.edge_bridge.helpers_bridge import GUARD_S

JSON_TYPE = "application/x-amz-json-1.1"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.body.get("__type", ""))

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


def amz_date(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y%m%dT%H%M%SZ")


def signed_headers(
    endpoint: Any,
    *,
    target: str,
    body: bytes,
    secret: str | None = None,
    access_key: str | None = None,
    timestamp: str | None = None,
    region: str = "eu-west-2",
    service: str = "rekognition",
    method: str = "POST",
    extra: dict[str, str] | None = None,
    sign_target: bool = True,
) -> dict[str, str]:
    """Sign like botocore does, but with a chosen timestamp, scope and header set."""
    stamp = timestamp or amz_date()
    secret = secret or endpoint.secret_key
    access_key = access_key or endpoint.access_key
    headers = {"Content-Type": JSON_TYPE, "X-Amz-Date": stamp}
    if sign_target:
        headers["X-Amz-Target"] = target
    headers.update(extra or {})
    request = AWSRequest(method=method, url=endpoint.endpoint_url + "/", data=body, headers=headers)
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(access_key, secret), service, region)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signed = signer.signed_headers(signer.headers_to_sign(request))
    result = dict(request.headers.items())
    result["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{stamp[:8]}/{region}/{service}/aws4_request, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    if not sign_target:
        result["X-Amz-Target"] = target
    return result


def send(endpoint: Any, headers: dict[str, str], body: bytes, method: str = "POST") -> Reply:
    url = urlsplit(endpoint.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=GUARD_S)
    try:
        connection.request(method, "/", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        assert response.getheader("Content-Type", "").startswith(JSON_TYPE)
        assert response.getheader("x-amzn-RequestId")
        return Reply(response.status, json.loads(payload) if payload else {})
    finally:
        connection.close()


def create_body(name: str) -> bytes:
    return json.dumps({"CollectionId": name}).encode()


CREATE = "RekognitionService.CreateCollection"


def assert_not_created(rekognition: Any, name: str) -> None:
    with pytest.raises(ClientError) as info:
        rekognition.describe_collection(CollectionId=name)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_correctly_signed_raw_request_is_accepted(engine: Any, rekognition: Any) -> None:
    name = f"raw-{uuid.uuid4().hex[:8]}"
    body = create_body(name)
    reply = send(engine, signed_headers(engine, target=CREATE, body=body), body)
    assert reply.status == 200, reply.body
    assert reply.body["StatusCode"] == 200
    rekognition.delete_collection(CollectionId=name)


def test_unsigned_request_refused(engine: Any, rekognition: Any) -> None:
    name = f"unsigned-{uuid.uuid4().hex[:8]}"
    body = create_body(name)
    reply = send(engine, {"Content-Type": JSON_TYPE, "X-Amz-Target": CREATE}, body)
    assert reply.status == 403
    assert reply.code == "MissingAuthenticationTokenException"
    assert_not_created(rekognition, name)


def test_unknown_access_key_refused(make_rekognition: Callable[..., Any], rekognition: Any) -> None:
    name = f"unknown-{uuid.uuid4().hex[:8]}"
    stranger = make_rekognition(aws_access_key_id="AKIDNOTKNOWN")
    with pytest.raises(ClientError) as info:
        stranger.create_collection(CollectionId=name)
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_not_created(rekognition, name)


def test_wrong_secret_refused(make_rekognition: Callable[..., Any], rekognition: Any) -> None:
    name = f"wrong-{uuid.uuid4().hex[:8]}"
    impostor = make_rekognition(aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError) as info:
        impostor.create_collection(CollectionId=name)
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "not-the-secret" not in info.value.response["Error"]["Message"]
    assert_not_created(rekognition, name)


def test_tampered_body_refused(engine: Any, rekognition: Any) -> None:
    signed_name = f"signed-{uuid.uuid4().hex[:8]}"
    sent_name = f"sent-{uuid.uuid4().hex[:8]}"
    headers = signed_headers(engine, target=CREATE, body=create_body(signed_name))
    reply = send(engine, headers, create_body(sent_name))
    assert reply.status == 403
    assert reply.code == "InvalidSignatureException"
    assert_not_created(rekognition, signed_name)
    assert_not_created(rekognition, sent_name)


def test_tampered_target_refused(engine: Any, rekognition: Any) -> None:
    name = f"target-{uuid.uuid4().hex[:8]}"
    rekognition.create_collection(CollectionId=name)
    body = create_body(name)
    headers = signed_headers(engine, target="RekognitionService.DescribeCollection", body=body)
    headers["X-Amz-Target"] = "RekognitionService.DeleteCollection"
    reply = send(engine, headers, body)
    assert (reply.status, reply.code) == (403, "InvalidSignatureException")
    assert rekognition.describe_collection(CollectionId=name)["FaceCount"] == 0
    rekognition.delete_collection(CollectionId=name)


def test_unsigned_target_header_refused(engine: Any, rekognition: Any) -> None:
    name = f"nosign-{uuid.uuid4().hex[:8]}"
    body = create_body(name)
    reply = send(engine, signed_headers(engine, target=CREATE, body=body, sign_target=False), body)
    assert (reply.status, reply.code) == (403, "IncompleteSignatureException")
    assert "x-amz-target" in reply.message
    assert_not_created(rekognition, name)


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(minutes=-6), "Signature expired"),
        (timedelta(minutes=6), "Signature not yet current"),
    ],
)
def test_clock_skew_refused(engine: Any, rekognition: Any, offset: timedelta, words: str) -> None:
    name = f"skew-{uuid.uuid4().hex[:8]}"
    body = create_body(name)
    headers = signed_headers(engine, target=CREATE, body=body, timestamp=amz_date(offset))
    reply = send(engine, headers, body)
    assert (reply.status, reply.code) == (403, "InvalidSignatureException")
    assert words in reply.message
    assert_not_created(rekognition, name)


def test_small_clock_skew_accepted(engine: Any, rekognition: Any) -> None:
    name = f"skewok-{uuid.uuid4().hex[:8]}"
    body = create_body(name)
    stamp = amz_date(timedelta(minutes=-4))
    reply = send(engine, signed_headers(engine, target=CREATE, body=body, timestamp=stamp), body)
    assert reply.status == 200, reply.body
    rekognition.delete_collection(CollectionId=name)


def test_any_region_accepted_by_default(engine: Any, rekognition: Any) -> None:
    name = f"region-{uuid.uuid4().hex[:8]}"
    body = create_body(name)
    headers = signed_headers(engine, target=CREATE, body=body, region="ap-southeast-2")
    assert send(engine, headers, body).status == 200
    rekognition.delete_collection(CollectionId=name)


def test_enforced_region(tmp_path: Path, engine: Any, engine_factory: Callable[..., Any]) -> None:
    server = engine_factory(tmp_path / "data", region="eu-west-2", enforce_region=True)
    endpoint = engine._replace(endpoint_url=server.endpoint_url)
    body = create_body("regional")
    wrong = send(
        endpoint, signed_headers(endpoint, target=CREATE, body=body, region="us-east-1"), body
    )
    assert (wrong.status, wrong.code) == (403, "InvalidSignatureException")
    assert "region" in wrong.message
    right = send(
        endpoint, signed_headers(endpoint, target=CREATE, body=body, region="eu-west-2"), body
    )
    assert right.status == 200
    assert right.body["CollectionArn"].startswith("aws:rekognition:eu-west-2:")


def test_wrong_service_scope_refused(engine: Any) -> None:
    body = b"{}"
    target = "RekognitionService.ListCollections"
    headers = signed_headers(engine, target=target, body=body, service="s3")
    reply = send(engine, headers, body)
    assert (reply.status, reply.code) == (403, "InvalidSignatureException")


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpwYXNz",
        "AWS4-HMAC-SHA256 Credential=only",
        "AWS4-HMAC-SHA256 Credential=AKIDSMARTSHOPTEST/20260101/us-east-1/rekognition/"
        "aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=xyz",
        "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=" + "0" * 64,
    ],
    ids=["basic", "no-parts", "short-signature", "short-scope"],
)
def test_malformed_authorization_refused(engine: Any, authorization: str) -> None:
    headers = {
        "Content-Type": JSON_TYPE,
        "X-Amz-Target": "RekognitionService.ListCollections",
        "X-Amz-Date": amz_date(),
        "Authorization": authorization,
    }
    reply = send(engine, headers, b"{}")
    assert (reply.status, reply.code) == (403, "IncompleteSignatureException")


def test_signed_payload_hash_must_match_body(engine: Any, rekognition: Any) -> None:
    signed_name = f"hash-{uuid.uuid4().hex[:8]}"
    sent_name = f"hashsent-{uuid.uuid4().hex[:8]}"
    signed_body = create_body(signed_name)
    headers = signed_headers(
        engine,
        target=CREATE,
        body=signed_body,
        extra={"X-Amz-Content-SHA256": hashlib.sha256(signed_body).hexdigest()},
    )
    reply = send(engine, headers, create_body(sent_name))
    assert (reply.status, reply.code) == (403, "InvalidSignatureException")
    assert_not_created(rekognition, sent_name)
    ok = send(engine, headers, signed_body)
    assert ok.status == 200
    rekognition.delete_collection(CollectionId=signed_name)


def test_secrets_never_logged(
    engine: Any,
    make_rekognition: Callable[..., Any],
    rekognition: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="edge_bridge"):
        rekognition.list_collections()
        with pytest.raises(ClientError):
            make_rekognition(aws_secret_access_key="leaky-secret-value").list_collections()
    assert caplog.records, "the engine should log refusals"
    assert engine.secret_key not in caplog.text
    assert "leaky-secret-value" not in caplog.text
    config = EngineConfig(data_dir=Path("/nonexistent"), credentials={"AK": engine.secret_key})
    assert engine.secret_key not in repr(config)


# -- protocol errors after a valid signature ---------------------------------------------------


def test_invalid_json_body(engine: Any) -> None:
    body = b"{not json"
    target = "RekognitionService.ListCollections"
    reply = send(engine, signed_headers(engine, target=target, body=body), body)
    assert (reply.status, reply.code) == (400, "SerializationException")


def test_wrong_content_type(engine: Any) -> None:
    body = b"{}"
    target = "RekognitionService.ListCollections"
    headers = signed_headers(engine, target=target, body=body, extra={"Content-Type": "text/plain"})
    reply = send(engine, headers, body)
    assert (reply.status, reply.code) == (400, "SerializationException")


@pytest.mark.parametrize(
    "target",
    ["RekognitionService.StartFaceSearch", "OtherService.ListCollections", "ListCollections"],
)
def test_unknown_target(engine: Any, target: str) -> None:
    body = b"{}"
    reply = send(engine, signed_headers(engine, target=target, body=body), body)
    assert (reply.status, reply.code) == (400, "UnknownOperationException")


def test_get_request(engine: Any) -> None:
    target = "RekognitionService.ListCollections"
    headers = signed_headers(engine, target=target, body=b"", method="GET")
    reply = send(engine, headers, b"", method="GET")
    assert (reply.status, reply.code) == (400, "UnknownOperationException")


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"CollectionId": "ok", "Extra": 1}, "Unknown parameter"),
        ({}, "Missing required parameter: CollectionId"),
        ({"CollectionId": 5}, "must be a string"),
        ([], "JSON object"),
    ],
)
def test_invalid_parameters(engine: Any, payload: Any, words: str) -> None:
    body = json.dumps(payload).encode()
    reply = send(engine, signed_headers(engine, target=CREATE, body=body), body)
    assert (reply.status, reply.code) == (400, "InvalidParameterException")
    assert words in reply.message


def test_bad_base64_image(engine: Any) -> None:
    body = json.dumps({"Image": {"Bytes": "***not base64***"}}).encode()
    target = "RekognitionService.DetectFaces"
    reply = send(engine, signed_headers(engine, target=target, body=body), body)
    assert (reply.status, reply.code) == (400, "InvalidParameterException")
    assert "base64" in reply.message


def test_request_body_over_limit(rekognition: Any) -> None:
    huge = b"\xff\xd8" + bytes(7 * 1024 * 1024)  # about 9.3 MB once base64-encoded
    with pytest.raises(ClientError) as info:
        rekognition.detect_faces(Image={"Bytes": huge})
    error = info.value.response["Error"]
    assert error["Code"] == "ImageTooLargeException"
    assert "byte limit" in error["Message"]


def test_deeply_nested_json_refused(engine: Any) -> None:
    """A signed body nested 100 000 deep is a SerializationException, not a crash."""
    body = b"[" * 100_000 + b"]" * 100_000
    reply = send(engine, signed_headers(engine, target=CREATE, body=body), body)
    assert reply.status == 400
    assert reply.code in {"SerializationException", "InvalidParameterException"}


def test_credentials_are_looked_up_on_each_request(
    tmp_path: Path, engine_factory: Callable[..., Any]
) -> None:
    """EngineConfig.credentials may change while the engine runs: keys added are accepted at
    once, keys removed refused at once (it is never copied)."""
    keys: dict[str, str] = {"AKIDFIRST": "first-secret-0123456789"}
    server = engine_factory(tmp_path, credentials=keys)

    def endpoint(key: str, secret: str) -> Any:
        return type(
            "E", (), {"endpoint_url": server.endpoint_url, "access_key": key, "secret_key": secret}
        )

    body = create_body(f"live-{uuid.uuid4().hex[:8]}")
    later = endpoint("AKIDLATER", "later-secret-0123456789")
    refused = send(later, signed_headers(later, target=CREATE, body=body), body)
    assert (refused.status, refused.code) == (403, "UnrecognizedClientException")
    keys["AKIDLATER"] = "later-secret-0123456789"
    assert send(later, signed_headers(later, target=CREATE, body=body), body).status == 200
    del keys["AKIDFIRST"]
    first = endpoint("AKIDFIRST", "first-secret-0123456789")
    body = create_body(f"gone-{uuid.uuid4().hex[:8]}")
    gone = send(first, signed_headers(first, target=CREATE, body=body), body)
    assert (gone.status, gone.code) == (403, "UnrecognizedClientException")
