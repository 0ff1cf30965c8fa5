"""Request validation and response shaping against botocore's Rekognition service model.

Inputs are checked the way the service does (required members, types, lengths, ranges, enums,
patterns), so raw HTTP clients get the same InvalidParameterException a boto3 user would get
from client-side validation. Outputs are passed through the operation's output shape, which
refuses any member the model does not define and serialises timestamps as epoch seconds, as the
AWS JSON 1.1 protocol does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
import functools
import math
import re
from typing import Any, Final

import botocore.model
import botocore.session

from .errors import invalid_parameter

SERVICE_NAME = "rekognition"
# Image bytes are length-checked by the image decoder, which gives the Rekognition-specific
# InvalidImageFormatException / ImageTooLargeException instead of a generic length error.
_DECODER_CHECKED_BLOBS = frozenset({"ImageBlob"})


@functools.cache
def service_model() -> botocore.model.ServiceModel:
    """Load (once) botocore's Rekognition service model."""
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def validate_input(shape: botocore.model.Shape, value: Any, path: str = "") -> Any:
    """Validate ``value`` against ``shape``; return it with base64 blobs decoded to bytes."""
    validator = _VALIDATORS.get(shape.type_name)
    if validator is None:  # pragma: no cover - the Rekognition model uses only the types below
        raise invalid_parameter(f"{_name(path)} has unsupported type {shape.type_name}")
    return validator(shape, value, path)


def _name(path: str) -> str:
    return path or "Request body"


def _structure(shape: botocore.model.Shape, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter(f"{_name(path)} must be a JSON object")
    members: dict[str, botocore.model.Shape] = shape.members
    unknown = sorted(key for key in value if key not in members)
    if unknown:
        where = f" in {path}" if path else ""
        raise invalid_parameter(f"Unknown parameter{where}: {', '.join(unknown)}")
    required = shape.metadata.get("required", [])
    for name in required:
        if value.get(name) is None:
            where = f"{path}." if path else ""
            raise invalid_parameter(f"Missing required parameter: {where}{name}")
    out: dict[str, Any] = {}
    for key, member_value in value.items():
        if member_value is None:
            continue
        child = f"{path}.{key}" if path else key
        out[key] = validate_input(members[key], member_value, child)
    return out


def _list(shape: botocore.model.Shape, value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid_parameter(f"{_name(path)} must be a list")
    _check_length(shape, len(value), path, "items")
    member: botocore.model.Shape = shape.member
    return [validate_input(member, item, f"{path}[{i}]") for i, item in enumerate(value)]


def _map(shape: botocore.model.Shape, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter(f"{_name(path)} must be a JSON object")
    _check_length(shape, len(value), path, "entries")
    key_shape: botocore.model.Shape = shape.key
    value_shape: botocore.model.Shape = shape.value
    return {
        validate_input(key_shape, k, f"{path} key"): validate_input(value_shape, v, f"{path}.{k}")
        for k, v in value.items()
    }


def _string(shape: botocore.model.Shape, value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise invalid_parameter(f"{_name(path)} must be a string")
    _check_length(shape, len(value), path, "characters")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        raise invalid_parameter(f"{_name(path)} must be one of: {', '.join(enum)}")
    pattern = shape.metadata.get("pattern")
    if pattern and not _pattern(pattern).fullmatch(value):
        raise invalid_parameter(f"{_name(path)} must match the pattern {pattern}")
    return value


def _integer(shape: botocore.model.Shape, value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_parameter(f"{_name(path)} must be an integer")
    _check_range(shape, value, path)
    return value


def _float(shape: botocore.model.Shape, value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid_parameter(f"{_name(path)} must be a finite number")
    _check_range(shape, value, path)
    return float(value)


def _blob(shape: botocore.model.Shape, value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        raise invalid_parameter(f"{_name(path)} must be a base64 string")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as err:
        raise invalid_parameter(f"{_name(path)} is not valid base64") from err
    if shape.name not in _DECODER_CHECKED_BLOBS:
        _check_length(shape, len(data), path, "bytes")
    return data


def _boolean(shape: botocore.model.Shape, value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise invalid_parameter(f"{_name(path)} must be a boolean")
    return value


def _timestamp(shape: botocore.model.Shape, value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_parameter(f"{_name(path)} must be a timestamp in epoch seconds")
    return float(value)


_VALIDATORS: Final[dict[str, Callable[[botocore.model.Shape, Any, str], Any]]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _integer,
    "long": _integer,
    "float": _float,
    "double": _float,
    "boolean": _boolean,
    "blob": _blob,
    "timestamp": _timestamp,
}


def _check_length(shape: botocore.model.Shape, length: int, path: str, unit: str) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and length < low:
        raise invalid_parameter(f"{_name(path)} must have at least {low} {unit}")
    if high is not None and length > high:
        raise invalid_parameter(f"{_name(path)} must have at most {high} {unit}")


def _check_range(shape: botocore.model.Shape, value: float, path: str) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and value < low:
        raise invalid_parameter(f"{_name(path)} must be at least {low}")
    if high is not None and value > high:
        raise invalid_parameter(f"{_name(path)} must be at most {high}")


def shape_output(shape: botocore.model.Shape, value: Any, path: str = "") -> Any:
    """Return ``value`` as JSON-ready data for ``shape``; unknown members are a server bug."""
    kind = shape.type_name
    if kind == "structure":
        return _output_structure(shape, value, path)
    if kind == "list":
        member: botocore.model.Shape = shape.member
        return [shape_output(member, item, f"{path}[]") for item in value]
    if kind == "map":
        value_shape: botocore.model.Shape = shape.value
        return {str(k): shape_output(value_shape, v, f"{path}.{k}") for k, v in value.items()}
    if kind == "string":
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            raise TypeError(f"output {path}={value!r} is not in enum {shape.name}")
        return str(value)
    converter = _SCALAR_OUTPUT.get(kind)
    if converter is None:  # pragma: no cover - the Rekognition model uses only these types
        raise TypeError(f"unsupported output type {kind}")
    return converter(value)


def _output_structure(shape: botocore.model.Shape, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"output {path or shape.name} must be a dict")
    members: dict[str, botocore.model.Shape] = shape.members
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in members:
            raise TypeError(f"output member {path}.{key} is not in shape {shape.name}")
        if item is not None:
            out[key] = shape_output(members[key], item, f"{path}.{key}")
    return out


def _timestamp_out(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _blob_out(value: Any) -> str:
    return base64.b64encode(value).decode("ascii")


_SCALAR_OUTPUT: Final[dict[str, Callable[[Any], Any]]] = {
    "integer": int,
    "long": int,
    "float": float,
    "double": float,
    "boolean": bool,
    "timestamp": _timestamp_out,
    "blob": _blob_out,
}
