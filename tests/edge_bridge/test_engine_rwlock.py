"""The readers-writer lock: readers share it, writers wait for readers and exclude them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import threading
import time

from edge_bridge.engine.rwlock import RWLock
from tests.edge_bridge.helpers_bridge import GUARD_S, wait_until


def test_rwlock_readers_share_it() -> None:
    lock = RWLock()
    both_inside = threading.Barrier(2, timeout=GUARD_S)  # broken (an error) unless both get in

    def read_together() -> None:
        with lock.read():
            both_inside.wait()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(read_together) for _ in range(2)]:
            future.result()


def test_rwlock_writer_waits_for_the_reader_to_leave() -> None:
    lock = RWLock()
    order: list[str] = []
    inside = threading.Event()
    leave = threading.Event()

    def read() -> None:
        with lock.read():
            inside.set()
            assert leave.wait(GUARD_S)
            order.append("reader leaves")

    def write() -> None:
        with lock.write():
            order.append("writer enters")

    with ThreadPoolExecutor(max_workers=2) as pool:
        reader = pool.submit(read)
        assert inside.wait(GUARD_S)
        writer = pool.submit(write)
        assert wait_until(lambda: lock._waiting_writers == 1)  # blocked by the reader
        leave.set()
        reader.result()
        writer.result()
    assert order == ["reader leaves", "writer enters"]


def test_rwlock_excludes_writers_from_readers() -> None:
    lock = RWLock()
    state = {"readers": 0, "overlap": False}
    guard = threading.Lock()

    def reader() -> None:
        with lock.read():
            with guard:
                state["readers"] += 1
            time.sleep(0.02)
            with guard:
                state["readers"] -= 1

    def writer() -> None:
        with lock.write():
            with guard:
                if state["readers"]:
                    state["overlap"] = True
            time.sleep(0.01)

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(reader if i % 3 else writer) for i in range(24)]
        for future in futures:
            future.result()
    assert not state["overlap"]
