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
import json
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
    CONFLICT,
    IDEMPOTENT_PARAMETER_MISMATCH,
    IMAGE_TOO_LARGE,
    INTERNAL,
    INVALID_IMAGE_FORMAT,
    RESOURCE_EXISTS,
    SERVICE_QUOTA_EXCEEDED,
    EngineError,
    invalid_parameter,
    not_found,
)
from .replay import is_mutating
from .store import (
    AssociationResult,
    CollectionExistsError,
    CollectionNotFoundError,
    FaceRecord,
    FaceRefusal,
    FaceStore,
    NewFace,
    RequestToken,
    RequestTokenMismatchError,
    UserExistsError,
    UserNotFoundError,
    UserQuotaError,
)

FACE_MODEL_VERSION: Final = "sface-2021dec-int8bq"
# A face's own IndexFacesModelVersion also says how it was embedded: with flip test-time
# augmentation it carries this suffix, so ListFaces shows which faces predate it (and a
# re-embedding from the kept photos is due, docs/engine.md).
FLIP_TTA_SUFFIX: Final = "+flip"


def face_embedding_version(embedder: FaceEmbedder) -> str:
    """The IndexFacesModelVersion of faces this embedder makes."""
    return FACE_MODEL_VERSION + (FLIP_TTA_SUFFIX if embedder.flip_tta else "")


ACCOUNT_ID: Final = "000000000000"
MAX_FACES_PER_IMAGE: Final = 100
DEFAULT_MATCH_THRESHOLD: Final = 80.0
DEFAULT_SEARCH_MAX_FACES: Final = 4096
DEFAULT_LIST_FACES: Final = 1000
DEFAULT_LIST_COLLECTIONS: Final = 1000
DEFAULT_LIST_USERS: Final = 500
DEFAULT_ASSOCIATE_THRESHOLD: Final = 75.0
DEFAULT_USER_MATCH_THRESHOLD: Final = 80.0
DEFAULT_MAX_USERS: Final = 500
MAX_FACES_PER_USER: Final = 100
ASSOCIATED_TO_AN_EXISTING_USER: Final = "ASSOCIATED_TO_AN_EXISTING_USER"
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
            "CreateUser": self.op_create_user,
            "DeleteUser": self.op_delete_user,
            "ListUsers": self.op_list_users,
            "AssociateFaces": self.op_associate_faces,
            "DisassociateFaces": self.op_disassociate_faces,
            "SearchUsersByImage": self.op_search_users_by_image,
            "SearchUsers": self.op_search_users,
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
        except UserNotFoundError as err:
            raise not_found(
                f"The user id: {err.args[0]} does not exist in the collection "
                f"{params.get('CollectionId')}"
            ) from err
        except UserExistsError as err:
            raise EngineError(
                CONFLICT,
                f"The user id: {err.args[0]} already exists in the collection "
                f"{params.get('CollectionId')}",
            ) from err
        except UserQuotaError as err:
            raise EngineError(
                SERVICE_QUOTA_EXCEEDED,
                f"The user id: {err.args[0]} can have at most {MAX_FACES_PER_USER} faces",
            ) from err
        except RequestTokenMismatchError as err:
            raise EngineError(
                IDEMPOTENT_PARAMETER_MISMATCH,
                f"ClientRequestToken {err.args[0]} was used with different parameters",
            ) from err
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
        if record.user_id is not None:
            face["UserId"] = record.user_id
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
            "UserCount": info.user_count,
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
                "IndexFacesModelVersion": new.model_version,
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
        limit = params.get("MaxResults") or DEFAULT_LIST_FACES
        after = _decode_token(params.get("NextToken"), _faces_token_kind(collection_id))
        records, more = self.store.list_faces(
            collection_id,
            after_seq=after,
            limit=limit,
            face_ids=params.get("FaceIds"),
            user_id=params.get("UserId"),
        )
        result: dict[str, Any] = {
            "Faces": [self._face_json(record) for record in records],
            "FaceModelVersion": FACE_MODEL_VERSION,
        }
        if more and records:
            result["NextToken"] = _encode_token(_faces_token_kind(collection_id), records[-1].seq)
        return result

    def op_delete_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteFaces; unknown ids are FACE_NOT_FOUND, and a face associated with a user is
        kept and reported as ASSOCIATED_TO_AN_EXISTING_USER (with that UserId)."""
        collection_id = params["CollectionId"]
        requested = list(dict.fromkeys(params["FaceIds"]))
        deleted, kept = self.store.delete_unassociated_faces(collection_id, requested)
        gone = set(deleted)
        failures: list[dict[str, Any]] = []
        for face_id in requested:
            if face_id in kept:
                failures.append(
                    {
                        "FaceId": face_id,
                        "UserId": kept[face_id],
                        "Reasons": [ASSOCIATED_TO_AN_EXISTING_USER],
                    }
                )
            elif face_id not in gone:
                failures.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
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

    # -- users ---------------------------------------------------------------------------------

    def op_create_user(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateUser: ConflictException if it exists (unless this is a retry of the same
        ClientRequestToken)."""
        self.store.create_user(
            params["CollectionId"],
            params["UserId"],
            now=self._clock(),
            token=_request_token("CreateUser", params),
        )
        return {}

    def op_delete_user(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteUser: its faces stay in the collection, unassociated."""
        self.store.delete_user(
            params["CollectionId"],
            params["UserId"],
            now=self._clock(),
            token=_request_token("DeleteUser", params),
        )
        return {}

    def op_list_users(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListUsers, in creation order, paginated."""
        collection_id = params["CollectionId"]
        limit = params.get("MaxResults") or DEFAULT_LIST_USERS
        kind = _users_token_kind(collection_id)
        after = _decode_token(params.get("NextToken"), kind)
        users, more = self.store.list_users(collection_id, after_seq=after, limit=limit)
        result: dict[str, Any] = {
            "Users": [
                {"UserId": user.user_id, "UserStatus": _user_status(user.face_count)}
                for user in users
            ]
        }
        if more and users:
            result["NextToken"] = _encode_token(kind, users[-1].seq)
        return result

    def op_associate_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """AssociateFaces (at most MAX_FACES_PER_USER faces a user)."""
        threshold = float(params.get("UserMatchThreshold", DEFAULT_ASSOCIATE_THRESHOLD))
        result = self.store.associate_faces(
            params["CollectionId"],
            params["UserId"],
            params["FaceIds"],
            min_cosine=similarity_to_cosine(threshold),
            max_user_faces=MAX_FACES_PER_USER,
            now=self._clock(),
            token=_request_token("AssociateFaces", params),
        )
        return {
            "AssociatedFaces": [{"FaceId": face_id} for face_id in result.changed],
            "UnsuccessfulFaceAssociations": [_refusal_json(r) for r in result.refused],
            "UserStatus": _user_status(result.user_face_count),
        }

    def op_disassociate_faces(self, params: dict[str, Any]) -> dict[str, Any]:
        """DisassociateFaces."""
        result: AssociationResult = self.store.disassociate_faces(
            params["CollectionId"],
            params["UserId"],
            params["FaceIds"],
            now=self._clock(),
            token=_request_token("DisassociateFaces", params),
        )
        return {
            "DisassociatedFaces": [{"FaceId": face_id} for face_id in result.changed],
            "UnsuccessfulFaceDisassociations": [_refusal_json(r) for r in result.refused],
            "UserStatus": _user_status(result.user_face_count),
        }

    def op_search_users_by_image(self, params: dict[str, Any]) -> dict[str, Any]:
        """SearchUsersByImage: search users with the largest face in the image.

        The other faces are returned in UnsearchedFaces (FACE_NOT_LARGEST). No face, or a
        largest face below the QualityFilter bar (default NONE), gives no matches and no
        SearchedFace, as on AWS.
        """
        collection_id = params["CollectionId"]
        self._require_collection(collection_id)
        bar = QUALITY_BARS[params.get("QualityFilter", "NONE")]
        with self._decoded(params) as (bgr, scale):
            analyses = [self.analyse(bgr, face, scale) for face in self.detect(bgr)]
            del bgr
        result: dict[str, Any] = {
            "UserMatches": [],
            "FaceModelVersion": FACE_MODEL_VERSION,
            "UnsearchedFaces": [
                {"FaceDetails": other.face_detail(), "Reasons": ["FACE_NOT_LARGEST"]}
                for other in analyses[1:]
            ],
        }
        if not analyses:
            return result
        largest = analyses[0]
        reasons = largest.quality_reasons(bar)
        if reasons:
            result["UnsearchedFaces"].insert(
                0, {"FaceDetails": largest.face_detail(), "Reasons": reasons}
            )
            return result
        query = self.embedder.embed_aligned(largest.aligned)
        result["UserMatches"] = self._user_matches(collection_id, query, params, exclude=None)
        result["SearchedFace"] = {"FaceDetail": largest.face_detail()}
        return result

    def op_search_users(self, params: dict[str, Any]) -> dict[str, Any]:
        """SearchUsers with a FaceId (its embedding) or a UserId (that user's template; the
        user itself is not returned). Exactly one of the two is required."""
        collection_id = params["CollectionId"]
        face_id, user_id = params.get("FaceId"), params.get("UserId")
        if (face_id is None) == (user_id is None):
            raise invalid_parameter("Exactly one of FaceId and UserId is required")
        result: dict[str, Any] = {"FaceModelVersion": FACE_MODEL_VERSION}
        if face_id is not None:
            found = self.store.face_embedding(collection_id, face_id)
            if found is None:
                raise invalid_parameter(f"Face id {face_id} is not in collection {collection_id}")
            result["UserMatches"] = self._user_matches(
                collection_id, found[1], params, exclude=None
            )
            result["SearchedFace"] = {"FaceId": face_id}
            return result
        assert user_id is not None
        user_seq, template = self.store.user_template(collection_id, user_id)
        result["UserMatches"] = self._user_matches(
            collection_id, template, params, exclude=user_seq
        )
        result["SearchedUser"] = {"UserId": user_id}
        return result

    def _user_matches(
        self,
        collection_id: str,
        query: np.ndarray,
        params: dict[str, Any],
        *,
        exclude: int | None,
    ) -> list[dict[str, Any]]:
        threshold = float(params.get("UserMatchThreshold", DEFAULT_USER_MATCH_THRESHOLD))
        limit = int(params.get("MaxUsers", DEFAULT_MAX_USERS))
        if query.size == 0:
            return []
        hits = self.store.search_users(
            collection_id,
            query,
            min_cosine=similarity_to_cosine(threshold),
            limit=limit,
            exclude_user=exclude,
        )
        matches = []
        for user, cosine in hits:
            similarity = cosine_to_similarity(cosine)
            if similarity >= threshold:
                matches.append(
                    {
                        "Similarity": similarity,
                        "User": {
                            "UserId": user.user_id,
                            "UserStatus": _user_status(user.face_count),
                        },
                    }
                )
        return matches


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
        model_version=face_embedding_version(embedder),
        created_at=now,
        embedding=embedder.embed_aligned(analysis.aligned),
    )


def _user_status(face_count: int) -> str:
    """ACTIVE once a user has faces; CREATED before (Rekognition's UserStatus values)."""
    return "ACTIVE" if face_count else "CREATED"


def _refusal_json(refusal: FaceRefusal) -> dict[str, Any]:
    item: dict[str, Any] = {"FaceId": refusal.face_id, "Reasons": list(refusal.reasons)}
    if refusal.user_id is not None:
        item["UserId"] = refusal.user_id
    if refusal.cosine is not None:
        item["Confidence"] = cosine_to_similarity(refusal.cosine)
    return item


def _request_token(operation: str, params: dict[str, Any]) -> RequestToken | None:
    """The request's ClientRequestToken with a digest of its other parameters, if it has one."""
    token = params.get("ClientRequestToken")
    if token is None:
        return None
    rest = {key: value for key, value in params.items() if key != "ClientRequestToken"}
    digest = hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()
    return RequestToken(operation, str(token), digest)


def _users_token_kind(collection_id: str) -> str:
    """Tokens from ListUsers are bound to their collection like those of ListFaces."""
    return "u" + hashlib.sha256(collection_id.encode()).hexdigest()[:12]


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
