"""Fixtures of the Google adapter tests: the app over the real core, a service account, a client, a key ring."""

from __future__ import annotations

import pytest

from strongroom.protocols.gcp.app import GcpApp
from tests.protocols.gcp.gcp_helpers import PROJECT, RING, Client, ServiceAccount, make_account


@pytest.fixture
def account(core, ctx) -> ServiceAccount:
    return make_account(core, ctx.caller.account_id)


@pytest.fixture
def app(core) -> GcpApp:
    return GcpApp(core, "us-east-1")


@pytest.fixture
def client(app, account, clock) -> Client:
    return Client(app, account.self_signed(clock.now()))


@pytest.fixture
def ring(client) -> str:
    client.ok("POST", f"projects/{PROJECT}/locations/global/keyRings", {}, keyRingId="ring")
    return RING
