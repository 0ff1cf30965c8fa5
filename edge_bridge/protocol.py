"""The bridge ↔ Home Assistant wire contract, from the one file that defines it.

The integration owns ``custom_components/smartshop/bridge_protocol.py`` (it must stay
self-contained for HACS). That file imports only the standard library, so the bridge loads it
by path, without importing the integration's package (which needs Home Assistant). The
bridge's Dockerfile copies the file to the same place relative to ``edge_bridge/``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from typing import Any

_NAME = "smartshop_bridge_protocol"
PATH = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "smartshop"
    / "bridge_protocol.py"
)


def _load() -> Any:
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f"the bridge wire contract is missing: {PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


_contract: Any = _load()

API_VERSION: str = _contract.API_VERSION
API_PREFIX: str = _contract.API_PREFIX
SERVICE_TYPE: str = _contract.SERVICE_TYPE
TXT_ID: str = _contract.TXT_ID
TXT_API_PORT: str = _contract.TXT_API_PORT
TXT_API_PATH: str = _contract.TXT_API_PATH
FACE_EVENT_TYPE: str = _contract.FACE_EVENT_TYPE
HELLO_TYPE: str = _contract.HELLO_TYPE
FINGERPRINT_BYTES: int = _contract.FINGERPRINT_BYTES
PAIR_PATH: str = _contract.PAIR_PATH
ROTATE_PATH: str = _contract.ROTATE_PATH
CREDENTIALS_PATH: str = _contract.CREDENTIALS_PATH
BridgeCamera = _contract.BridgeCamera
BridgeInfo = _contract.BridgeInfo
FaceEvent = _contract.FaceEvent
ProtocolError = _contract.ProtocolError
PairingCode = _contract.PairingCode
PairRequest = _contract.PairRequest
PairResponse = _contract.PairResponse
PairedCredentials = _contract.PairedCredentials
bridge_proof = _contract.bridge_proof
certificate_sha256 = _contract.certificate_sha256
client_proof = _contract.client_proof
legacy_engine_access_key_id = _contract.legacy_engine_access_key_id
new_nonce = _contract.new_nonce
proofs_equal = _contract.proofs_equal
snapshot_path = _contract.snapshot_path
footage_path = _contract.footage_path
footage_frame_path = _contract.footage_frame_path
footage_timestamp = _contract.footage_timestamp
stream_path = _contract.stream_path
