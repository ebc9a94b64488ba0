"""An Azure adapter over a real core (SQLite, file root of trust, manual clock), an app registered for the test
account, and a small client that speaks to the adapter as the SDKs do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from strongroom.domain.workload_identities import AZURE_APP
from strongroom.protocols.azure.app import AzureApp
from strongroom.protocols.http import HttpRequest, HttpResponse
from tests.conftest import ACCOUNT, REGION

HOST = "127.0.0.1:8443"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.body["error"]["code"]


@dataclass
class AzureClient:
    app: AzureApp
    tenant: str
    client_id: str
    client_secret: str
    token: str = ""
    host: str = HOST

    def raw(self, method: str, path: str, body: bytes = b"", query: str = "api-version=7.4",
            headers: dict[str, str] | None = None) -> HttpResponse:
        return self.app.handle(HttpRequest(method, path, query, {"host": self.host, **(headers or {})}, body,
                                           "127.0.0.1", True))

    def call(self, method: str, path: str, body: Any = None, *, query: str = "api-version=7.4",
             token: str | None = None) -> Answer:
        token = self.token if token is None else token
        headers = {"authorization": f"Bearer {token}"} if token else {}
        data = orjson.dumps(body) if body is not None else b""
        response = self.raw(method, path, data, query, headers)
        return Answer(response.status, orjson.loads(response.body) if response.body else None,
                      dict(response.headers))

    def get_token(self, secret: str | None = None, tenant: str | None = None) -> HttpResponse:
        form = urlencode({"client_id": self.client_id, "client_secret": secret or self.client_secret,
                          "scope": "https://vault.azure.net/.default", "grant_type": "client_credentials"})
        return self.raw("POST", f"/{tenant or self.tenant}/oauth2/v2.0/token", form.encode(), "",
                        {"content-type": "application/x-www-form-urlencoded"})

    def login(self) -> AzureClient:
        self.token = orjson.loads(self.get_token().body)["access_token"]
        return self


@pytest.fixture
def app(core) -> AzureApp:
    return AzureApp(core, REGION)


def register(core, app: AzureApp, account: str = ACCOUNT, user: str = "root") -> AzureClient:
    made = core.workload_identities.create_secret_client(AZURE_APP, account, user)
    return AzureClient(app, made.identity.tenant, made.identity.identity_id, made.client_secret)


@pytest.fixture
def client(core, app) -> AzureClient:
    return register(core, app).login()
