"""Prometheus text rendering of the bridge's figures."""

from __future__ import annotations

from edge_bridge.metrics import escape_label


def test_metric_label_values_are_escaped() -> None:
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
