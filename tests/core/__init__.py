"""Tests of the integration's modules that have no Home Assistant imports."""
