"""The Rekognition operations the engine implements, as synchronous calls on validated input.

Each public ``op_*`` method takes the validated request (blobs already decoded to bytes) and
returns the response dict before output shaping. They are CPU- or disk-bound and are run in a
thread pool by the HTTP layer. Probe images live only in local variables: nothing from a search
is written to disk or logged.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import errno
import hashlib
import sqlite3
import threading
import time
from typing import Any, Final
import uuid

import cv2
import numpy as np

from edge_bridge.detect import DetectedFace, FaceDetector
from edge_bridge.embed import FaceEmbedder, cosine_to_similarity, similarity_to_cosine
from edge_bridge.image_decoder import (
    TOO_LARGE,
    ImageFormat,
    ImageLimits,
    ImageRejected,
    decode_reduced,
)

from .analysis import QUALITY_BARS, FaceAnalysis, analyse_face
from .errors import (
    BAD_PAGINATION,
    IMAGE_TOO_LARGE,
    INTERNAL,
    INVALID_IMAGE_FORMAT,
    RESOURCE_EXISTS,
    EngineError,
    invalid_parameter,
    not_found,
)
from .replay import is_mutating
from .store import (
    CollectionExistsError,
    CollectionNotFoundError,
    FaceRecord,
    FaceStore,
    NewFace,
)

FACE_MODEL_VERSION: Final = "sface-2021dec-int8bq"
ACCOUNT_ID: Final = "000000000000"
MAX_FACES_PER_IMAGE: Final = 100
DEFAULT_MATCH_THRESHOLD: Final = 80.0
DEFAULT_SEARCH_MAX_FACES: Final = 4096
DEFAULT_LIST_FACES: Final = 1000
DEFAULT_LIST_COLLECTIONS: Final = 1000
NO_FACE_MESSAGE: Final = "There are no faces in the image. Should be at least 1."
# Rekognition takes JPEG and PNG image bytes.
REQUEST_IMAGE_FORMATS: Final = (ImageFormat.JPEG, ImageFormat.PNG)

Operation = Callable[[dict[str, Any]], dict[str, Any]]


_STORAGE_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


class StorageError(EngineError):
    """The database could not be written or read (disk full, read-only, I/O error): HTTP 500."""

    def __init__(self, message: str) -> None:
        super().__init__(INTERNAL, message, status=500)


@dataclass(frozen=True)
class EngineLimits:
    """The limits of the recognition path (the one place they are set).

    Memory: a request image is at most ``max_image_pixels`` (16 MP). A JPEG larger than 1.5x
    the detection size is decoded at 1/2..1/8 scale by libjpeg, so its decode costs at most
    about 4 bytes a pixel of the reduced size; a PNG costs about 4 bytes a pixel of the full
    size while Pillow decodes it (64 MB at 16 MP), then is box-reduced. At most
    ``max_concurrent_decodes`` requests hold a decoded image at once; the others wait for a
    slot before decoding. Measured (tests/edge_bridge/test_hardening.py, engine alone in its
    process with the default settings, 16 parallel DetectFaces of 16 MP PNGs and JPEGs): peak
    RSS 200-220 MB over the idle engine's ~260 MB (16 PNGs), 65-80 MB (16 JPEGs); one at a
    time about 50 MB. The ceiling: under 512 MB in all for any sequence of valid requests.
    """

    max_image_bytes: int = 5 * 1024 * 1024
    max_image_pixels: int = 16_000_000
    detect_max_side: int = 1024
    max_concurrent_decodes: int = 2

    @property
    def images(self) -> ImageLimits:
        """What request images may be: JPEG or PNG within the byte and pixel limits."""
        return ImageLimits(
            formats=REQUEST_IMAGE_FORMATS,
            max_bytes=self.max_image_bytes,
            max_pixels=self.max_image_pixels,
        )

    @property
    def decode_min_side(self) -> int:
        """Images are decoded reduced while their longer side stays at least this long: 1.5x
        the detection size, so detection sees the same pixels and aligned crops keep detail."""
        return self.detect_max_side * 3 // 2


class RecognitionEngine:
    """Implements the operations on top of a :class:`FaceStore` and the two models."""

    def __init__(
        self,
        store: FaceStore,
        detector: FaceDetector,
        embedder: FaceEmbedder,
        *,
        region: str,
        limits: EngineLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.detector = detector
        self.embedder = embedder
        self.region = region
        self.limits = limits or EngineLimits()
        self.image_limits = self.limits.images
        self._decode_slots = threading.BoundedSemaphore(max(1, self.limits.max_concurrent_decodes))
        self._clock = clock
        self.operations: dict[str, Operation] = {
            "CreateCollection": self.op_create_collection,
            "DeleteCollection": self.op_delete_collection,
            "DescribeCollection": self.op_describe_collection,
            "ListCollections": self.op_list_collections,
            "IndexFaces": self.op_index_faces,
            "SearchFacesByImage": self.op_search_faces_by_image,
            "SearchFaces": self.op_search_faces,
            "ListFaces": self.op_list_faces,
            "DeleteFaces": self.op_delete_faces,
            "DetectFaces": self.op_detect_faces,
        }

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one operation; store errors become Rekognition errors.

        A database that cannot be written (disk full, read-only, I/O error) becomes a
        :class:`StorageError`; the store rolled the change back, so nothing was stored.
        """
        try:
            return self.operations[operation](params)
        except CollectionNotFoundError as err:
            raise not_found(f"The collection id: {err.args[0]} does not exist") from err
        except sqlite3.DatabaseError as err:
            raise _storage_error(operation, err) from err
        except OSError as err:
            if err.errno not in _STORAGE_ERRNOS:
                raise
            raise _storage_error(operation, err) from err

    # -- helpers -------------------------------------------------------------------------------

    def collection_arn(self, collection_id: str) -> str:
        """Collection ARN in the form Rekognition returns it."""
        return f"aws:rekognition:{self.region}:{ACCOUNT_ID}:collection/{collection_id}"

    @contextmanager
    def _decoded(self, params: dict[str, Any]) -> Iterator[tuple[np.ndarray, float]]:
        """The request image (BGR, pixel scale) while holding one of the decode slots."""
        with self._decode_slots:
            yield self._image(params)

    def _image(self, params: dict[str, Any]) -> tuple[np.ndarray, float]:
        image = params["Image"]
        if "S3Object" in image:
            raise invalid_parameter(
                "S3Object images are not supported by this engine; send the image as Image.Bytes"
            )
        data = image.get("Bytes")
        if data is None:
            raise invalid_parameter("Image.Bytes is required")
        try:
            return decode_reduced(data, self.image_limits, min_side=self.limits.decode_min_side)
        except ImageRejected as err:
            code = IMAGE_TOO_LARGE if err.reason == TOO_LARGE else INVALID_IMAGE_FORMAT
            raise EngineError(code, err.message) from err

    def detect(self, bgr: np.ndarray) -> list[DetectedFace]:
        """Detect faces (on a downscaled copy for large images), largest first, at most 100."""
        height, width = bgr.shape[:2]
        scale = min(1.0, self.limits.detect_max_side / max(height, width))
        if scale < 1.0:
            small = cv2.resize(
                bgr,
                (max(1, round(width * scale)), max(1, round(height * scale))),
                interpolation=cv2.INTER_AREA,
            )
            faces = [face.scaled(1.0 / scale) for face in self.detector.detect(small)]
        else:
            faces = self.detector.detect(bgr)
        return faces[:MAX_FACES_PER_IMAGE]

    def analyse(self, bgr: np.ndarray, face: DetectedFace, scale: float = 1.0) -> FaceAnalysis:
        """Align and measure one face; ``scale`` is original pixels per pixel of ``bgr``."""
        return analyse_face(bgr, face, self.embedder.align(bgr, face), pixel_scale=scale)

    def _face_json(self, record: FaceRecord) -> dict[str, Any]:
        face: dict[str, Any] = {
            "FaceId": record.face_id,
            "BoundingBox": {
                "Width": record.bbox_width,
                "Height": record.bbox_height,
                "Left": record.bbox_left,
                "Top": record.bbox_top,
            },
            "ImageId": record.image_id,
            "Confidence": record.confidence,
            "IndexFacesModelVersion": record.model_version,
        }
        if record.external_image_id is not None:
            face["ExternalImageId"] = record.external_image_id
        return face

    def _require_collection(self, collection_id: str) -> None:
        self.store.face_count(collection_id)

    # -- collections ---------------------------------------------------------------------------

    def op_create_collection(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateCollection."""
        collection_id = params["CollectionId"]
        try:
            self.store.create_collection(
                collection_id, created_at=self._clock(), face_model_version=FACE_MODEL_VERSION
            )
        except CollectionExistsError as err:
            raise EngineError(
                RESOURCE_EXISTS, f"The collection id: {collection_id} already exists"
            ) from err
        return {
            "StatusCode": 200,
            "CollectionArn": self.collection_arn(collection_id),
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def op_delete_collection(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteCollection."""
        self.store.delete_collection(params["CollectionId"])
        return {"StatusCode": 200}

    def op_describe_collection(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeCollection."""
        info = self.store.describe_collection(params["CollectionId"])
        return {
            "FaceCount": info.face_count,
            "FaceModelVersion": info.face_model_version,
            "CollectionARN": self.collection_arn(info.collection_id),
            "CreationTimestamp": info.created_at,
            "UserCount": 0,
        }

    def op_list_collections(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListCollections, in creation order, paginated."""
        limit = params.get("MaxResults") or DEFAULT_LIST_COLLECTIONS
        after = _decode_token(params.get("NextToken"), "c")
        page, more = self.store.list_collections(after_seq=after, limit=limit)
        result: dict[str, Any] = {
            "CollectionIds": [info.collection_id for _, info in page],
            "FaceModelVersions": [info.face_model_version for _, info in page],
        }
        if more and page:
            result["NextToken"] = _encode_token("c", page[-1][0])
        return result

    # -- faces ---------------------------------------------------------------------------------

    def op_index_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """IndexFaces: add the largest faces that pass the quality bar, up to MaxFaces."""
        collection_id = params["CollectionId"]
        self._require_collection(collection_id)
        bar = QUALITY_BARS[params.get("QualityFilter", "AUTO")]
        max_faces = params.get("MaxFaces")
        accepted: list[FaceAnalysis] = []
        unindexed: list[dict[str, Any]] = []
        with self._decoded(params) as (bgr, scale):
            for detected in self.detect(bgr):
                analysis = self.analyse(bgr, detected, scale)
                reasons = analysis.quality_reasons(bar)
                if not reasons and max_faces is not None and len(accepted) >= max_faces:
                    reasons = ["EXCEEDS_MAX_FACES"]
                if reasons:
                    unindexed.append({"Reasons": reasons, "FaceDetail": analysis.face_detail()})
                else:
                    accepted.append(analysis)
            del bgr
        image_id = str(uuid.uuid4())
        now = self._clock()
        new_faces = [
            _new_face(analysis, self.embedder, image_id, params.get("ExternalImageId"), now)
            for analysis in accepted
        ]
        self.store.add_faces(collection_id, new_faces)
        records = []
        for analysis, new in zip(accepted, new_faces, strict=True):
            face: dict[str, Any] = {
                "FaceId": new.face_id,
                "BoundingBox": analysis.bounding_box(),
                "ImageId": image_id,
                "Confidence": analysis.confidence,
                "IndexFacesModelVersion": FACE_MODEL_VERSION,
            }
            if new.external_image_id is not None:
                face["ExternalImageId"] = new.external_image_id
            records.append({"Face": face, "FaceDetail": analysis.face_detail()})
        return {
            "FaceRecords": records,
            "FaceModelVersion": FACE_MODEL_VERSION,
            "UnindexedFaces": unindexed,
        }

    def op_search_faces_by_image(self, params: dict[str, Any]) -> dict[str, Any]:
        """SearchFacesByImage: search with the largest face in the image."""
        collection_id = params["CollectionId"]
        self._require_collection(collection_id)
        bar = QUALITY_BARS[params.get("QualityFilter", "NONE")]
        with self._decoded(params) as (bgr, scale):
            faces = self.detect(bgr)
            if not faces:
                raise invalid_parameter(NO_FACE_MESSAGE)
            analysis = self.analyse(bgr, faces[0], scale)
            del bgr
        reasons = analysis.quality_reasons(bar)
        if reasons:
            raise invalid_parameter(
                f"{NO_FACE_MESSAGE} The largest face does not meet the "
                f"{params.get('QualityFilter')} quality bar: {', '.join(reasons)}"
            )
        query = self.embedder.embed_aligned(analysis.aligned)
        matches = self._matches(collection_id, query, params, exclude_seq=None)
        return {
            "SearchedFaceBoundingBox": analysis.bounding_box(),
            "SearchedFaceConfidence": analysis.confidence,
            "FaceMatches": matches,
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def op_search_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """SearchFaces: search with a face already in the collection (excluding itself)."""
        collection_id = params["CollectionId"]
        face_id = params["FaceId"]
        found = self.store.face_embedding(collection_id, face_id)
        if found is None:
            raise invalid_parameter(f"Face id {face_id} is not in collection {collection_id}")
        seq, vector = found
        return {
            "SearchedFaceId": face_id,
            "FaceMatches": self._matches(collection_id, vector, params, exclude_seq=seq),
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def _matches(
        self,
        collection_id: str,
        query: np.ndarray,
        params: dict[str, Any],
        *,
        exclude_seq: int | None,
    ) -> list[dict[str, Any]]:
        threshold = float(params.get("FaceMatchThreshold", DEFAULT_MATCH_THRESHOLD))
        limit = int(params.get("MaxFaces", DEFAULT_SEARCH_MAX_FACES))
        hits = self.store.search(
            collection_id,
            query,
            min_cosine=similarity_to_cosine(threshold),
            limit=limit,
            exclude_seq=exclude_seq,
        )
        matches = []
        for record, cosine in hits:
            similarity = cosine_to_similarity(cosine)
            if similarity >= threshold:
                matches.append({"Similarity": similarity, "Face": self._face_json(record)})
        return matches

    def op_list_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListFaces, in indexing order, paginated."""
        collection_id = params["CollectionId"]
        if "UserId" in params:
            raise invalid_parameter("UserId is not supported: this engine has no Users")
        limit = params.get("MaxResults") or DEFAULT_LIST_FACES
        after = _decode_token(params.get("NextToken"), _faces_token_kind(collection_id))
        records, more = self.store.list_faces(
            collection_id, after_seq=after, limit=limit, face_ids=params.get("FaceIds")
        )
        result: dict[str, Any] = {
            "Faces": [self._face_json(record) for record in records],
            "FaceModelVersion": FACE_MODEL_VERSION,
        }
        if more and records:
            result["NextToken"] = _encode_token(_faces_token_kind(collection_id), records[-1].seq)
        return result

    def op_delete_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteFaces; unknown ids are reported as FACE_NOT_FOUND."""
        collection_id = params["CollectionId"]
        requested = list(dict.fromkeys(params["FaceIds"]))
        deleted = self.store.delete_faces(collection_id, requested)
        gone = set(deleted)
        failures = [
            {"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]}
            for face_id in requested
            if face_id not in gone
        ]
        result: dict[str, Any] = {"DeletedFaces": deleted}
        if failures:
            result["UnsuccessfulFaceDeletions"] = failures
        return result

    def op_detect_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """DetectFaces with the DEFAULT attributes (box, landmarks, pose, quality, confidence)."""
        with self._decoded(params) as (bgr, scale):
            details = [self.analyse(bgr, face, scale).face_detail() for face in self.detect(bgr)]
            del bgr
        return {"FaceDetails": details}


def _storage_error(operation: str, err: BaseException) -> StorageError:
    if isinstance(err, sqlite3.Error):
        full = getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    else:
        full = getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
    why = "disk full" if full else (str(err).splitlines() or [type(err).__name__])[0]
    if is_mutating(operation):
        return StorageError(f"the engine cannot write its database: {why}; nothing was stored")
    return StorageError(f"the engine cannot read its database: {why}")


def _new_face(
    analysis: FaceAnalysis,
    embedder: FaceEmbedder,
    image_id: str,
    external_image_id: str | None,
    now: float,
) -> NewFace:
    box = analysis.bounding_box()
    return NewFace(
        face_id=str(uuid.uuid4()),
        image_id=image_id,
        external_image_id=external_image_id,
        bbox_width=box["Width"],
        bbox_height=box["Height"],
        bbox_left=box["Left"],
        bbox_top=box["Top"],
        confidence=analysis.confidence,
        model_version=FACE_MODEL_VERSION,
        created_at=now,
        embedding=embedder.embed_aligned(analysis.aligned),
    )


def _faces_token_kind(collection_id: str) -> str:
    """Tokens from ListFaces are bound to their collection by a short digest of its id."""
    return "f" + hashlib.sha256(collection_id.encode()).hexdigest()[:12]


def _encode_token(kind: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode("ascii")


def _decode_token(token: str | None, kind: str) -> int:
    """Return the position stored in a NextToken (0 when there is no token)."""
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError) as err:
        raise EngineError(BAD_PAGINATION, "NextToken is not valid") from err
    token_kind, _, position = text.partition(":")
    if token_kind != kind or not position.isdigit():
        raise EngineError(BAD_PAGINATION, "NextToken is not valid for this request")
    return int(position)
