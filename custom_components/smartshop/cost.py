"""The cost model: what searching costs per day, at AWS Rekognition's list price.

No Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .const import CONF_BACKEND, PRICE_PER_1000_IMAGES, Backend

# Each scheduled scan is one DetectFaces call plus, when a face is found, one search per face.
CALLS_PER_SCAN_ESTIMATE: Final = 2


def default_price(data: Mapping[str, Any]) -> float:
    """List price per 1,000 images on AWS; the on-prem engine costs nothing per call."""
    return PRICE_PER_1000_IMAGES if Backend(data[CONF_BACKEND]) is Backend.AWS else 0.0


def polling_scans_per_day(interval_s: int, cameras: int) -> int:
    """Scans a day when every camera is polled at the interval."""
    return (86400 // interval_s) * cameras


def polling_cost_per_day(scans: int) -> float:
    """Estimated USD a day at list price, assuming a face in most frames."""
    return scans * CALLS_PER_SCAN_ESTIMATE * PRICE_PER_1000_IMAGES / 1000
