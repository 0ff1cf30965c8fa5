"""Shared test set-up.

Importing the integration first matters: the Home Assistant test harness puts its own
``custom_components`` package on the path, which would otherwise shadow ours.
"""

import custom_components.smartshop  # noqa: F401
