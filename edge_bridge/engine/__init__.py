"""On-prem face recognition engine speaking the Rekognition face API (JSON 1.1, SigV4)."""

from .http_api import EngineConfig, EngineThread, create_engine_app, start_engine

__all__ = ["EngineConfig", "EngineThread", "create_engine_app", "start_engine"]
