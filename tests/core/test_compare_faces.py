"""RecognitionClient.compare_faces: the requester's face against stored evidence crops."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smartshop.imaging import prepare_image
from custom_components.smartshop.recognition import BackendUnavailableError

from .test_recognition import ASTRONAUT, ROOT, Harness, harness_fixture  # noqa: F401 (fixture)

GRACE = (ROOT / "tests" / "fixtures" / "faces" / "grace_hopper.jpg").read_bytes()


def _params(source: bytes, target: bytes, threshold: float = 70.0) -> dict[str, Any]:
    return {
        "SourceImage": {"Bytes": source},
        "TargetImage": {"Bytes": target},
        "SimilarityThreshold": threshold,
        "QualityFilter": "NONE",
    }


async def test_best_similarity_per_target(harness: Harness) -> None:
    """Each target gets its best match at or above the threshold, or None; the source is sent
    prepared, as every target."""
    source = harness.prepared_jpeg
    grace = prepare_image(GRACE).jpeg
    harness.stubber.add_response(
        "compare_faces",
        {"FaceMatches": [{"Similarity": 80.5}, {"Similarity": 97.25}]},
        _params(source, source),
    )
    harness.stubber.add_response(
        "compare_faces", {"FaceMatches": [], "UnmatchedFaces": [{}]}, _params(source, grace)
    )
    assert await harness.client.compare_faces(ASTRONAUT, [ASTRONAUT, GRACE], threshold=70) == [
        97.25,
        None,
    ]
    assert harness.client.calls == {"CompareFaces": 2}


async def test_no_face_is_none_and_other_errors_raise(harness: Harness) -> None:
    """A crop without a face is no candidate; the backend failing is an error; nothing to
    compare makes no call."""
    harness.stubber.add_client_error(
        "compare_faces", "InvalidParameterException", "There are no faces in the image."
    )
    assert await harness.client.compare_faces(ASTRONAUT, [ASTRONAUT], threshold=70) == [None]
    harness.stubber.add_client_error("compare_faces", "InternalServerError", http_status_code=500)
    with pytest.raises(BackendUnavailableError):
        await harness.client.compare_faces(ASTRONAUT, [ASTRONAUT], threshold=70)
    assert await harness.client.compare_faces(ASTRONAUT, [], threshold=70) == []
    with pytest.raises(ValueError, match="threshold"):
        await harness.client.compare_faces(ASTRONAUT, [ASTRONAUT], threshold=101)
