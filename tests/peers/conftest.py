"""Fixtures for tests that run against a real peer implementation (OpenBao)."""

from tests.peers.openbao import openbao  # noqa: F401  (the session fixture, defined next to its helper)
