"""Prometheus text rendering of the bridge's figures."""

from __future__ import annotations

from collections.abc import Iterator
import time

import pytest

from edge_bridge.metrics import REFUSALS, BridgeFigures, escape_label, render_metrics


def test_metric_label_values_are_escaped() -> None:
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


@pytest.fixture
def refusals() -> Iterator[None]:
    REFUSALS.reset()
    yield
    REFUSALS.reset()


def test_refusals_by_server_and_reason(refusals: None) -> None:
    REFUSALS.add("engine", "auth", 3)
    REFUSALS.add("engine", "replay")
    REFUSALS.add("api", "over_connection_cap", 2)
    REFUSALS.add("api", "idle_timeout")
    text = render_metrics(
        BridgeFigures(
            bridge_id="b1",
            started_at=time.time(),
            cameras={},
            ws_clients=0,
            streams=0,
            ws_events_dropped=0,
        )
    )
    assert "# TYPE smartshop_refused_total counter" in text
    lines = [line for line in text.splitlines() if line.startswith("smartshop_refused_total{")]
    assert lines == [
        'smartshop_refused_total{server="api",reason="idle_timeout"} 1',
        'smartshop_refused_total{server="api",reason="over_connection_cap"} 2',
        'smartshop_refused_total{server="engine",reason="auth"} 3',
        'smartshop_refused_total{server="engine",reason="replay"} 1',
    ]
