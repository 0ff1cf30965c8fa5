"""Frame sources on the shared image matrix: image folders, MJPEG stream parts and snapshots."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from edge_bridge.sources import BadInputCounter, HttpMjpegSource, ImageFolderSource, SourceError
from tests.edge_bridge.helpers_bridge import GUARD_S, MjpegServer
from tests.edge_bridge.image_cases import CASE_NAMES, assert_decoded, image_cases


@pytest.mark.parametrize("name", CASE_NAMES)
def test_image_folder_file(name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    case = image_cases()[name]
    (tmp_path / case.name).write_bytes(case.data)
    counter = BadInputCounter("cam")
    source = ImageFolderSource(tmp_path, bad_inputs=counter)
    caplog.set_level(logging.WARNING, logger="edge_bridge.sources")
    source.open()
    try:
        if case.camera is None:
            image = source.read()
            assert image is not None
            assert_decoded(image, case)
            assert source.read() is None  # the end of the pass
            assert counter.snapshot() == {}
            return
        with pytest.raises(SourceError, match="no readable images"):
            source.read()
        assert counter.snapshot() == {case.camera: 1}
        (message,) = [record.getMessage() for record in caplog.records]
        assert case.name in message
        for word in case.words:
            assert word in message
    finally:
        source.close()


@pytest.mark.parametrize("transport", ["stream", "snapshot"])
@pytest.mark.parametrize("name", CASE_NAMES)
async def test_http_camera_image(name: str, transport: str) -> None:
    case = image_cases()[name]
    good = image_cases()["good.jpg"]
    # Without Content-Length, so that an empty part is a part and not a framing error.
    server = MjpegServer([case.data, good.data], content_length=False)
    server.snapshot_only = transport == "snapshot"
    await server.start()
    counter = BadInputCounter("cam")
    source = HttpMjpegSource(
        server.url, open_timeout_s=GUARD_S, read_timeout_s=GUARD_S, bad_inputs=counter
    )
    try:
        await asyncio.to_thread(source.open)
        if case.camera is None:
            image = await asyncio.to_thread(source.read)
            assert image is not None
            assert_decoded(image, case)
            assert counter.snapshot() == {}
        elif transport == "stream":
            image = await asyncio.to_thread(source.read)  # the bad part is skipped
            assert image is not None
            assert_decoded(image, good)
            assert counter.snapshot() == {case.camera: 1}
        else:
            with pytest.raises(SourceError, match="not a usable image"):
                await asyncio.to_thread(source.read)
            assert counter.snapshot() == {case.camera: 1}
    finally:
        source.close()
        await server.stop()
