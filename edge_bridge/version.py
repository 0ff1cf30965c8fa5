"""The bridge's version, reported by the API and the zeroconf advertisement."""

from __future__ import annotations

BRIDGE_VERSION = "0.1.0"
