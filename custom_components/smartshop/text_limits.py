"""The longest text each kind of field accepts, and the validator that refuses longer text with
a clear message, so that one call cannot store megabytes that every later answer carries."""

from __future__ import annotations

from typing import Final

from homeassistant.helpers import config_validation as cv
import probatio

MAX_NAME_LENGTH: Final = 200  # a person's name, a reviewer's or author's name
MAX_REASON_LENGTH: Final = 2000  # why an entry exists; why a match was confirmed or dismissed
MAX_REFERENCE_LENGTH: Final = 200  # an incident or crime reference
MAX_ID_LENGTH: Final = 200  # ids and watchlist names given to an action


def bounded_text(max_length: int) -> probatio.All[str]:
    """A string of at most ``max_length`` characters, refused with a clear message."""

    def within(value: str) -> str:
        if len(value) > max_length:
            raise probatio.Invalid(f"at most {max_length} characters, got {len(value)}")
        return value

    return probatio.All(cv.string, within)


NAME: Final = bounded_text(MAX_NAME_LENGTH)
REASON: Final = bounded_text(MAX_REASON_LENGTH)
REFERENCE: Final = bounded_text(MAX_REFERENCE_LENGTH)
IDENT: Final = bounded_text(MAX_ID_LENGTH)
