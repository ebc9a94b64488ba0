"""Helpers of the Google adapter tests: service accounts, signed assertions, requests as the clients send them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt

from strongroom.domain.workload_identities import GCP_SERVICE_ACCOUNT
from strongroom.protocols.gcp.app import GcpApp
from strongroom.protocols.http import HttpRequest, HttpResponse

PROJECT = "proj"
EMAIL = f"app-one@{PROJECT}.iam.gserviceaccount.com"
HOST = "127.0.0.1:8443"
RING = f"projects/{PROJECT}/locations/global/keyRings/ring"


@dataclass
class ServiceAccount:
    email: str
    key_id: str
    private_key_pem: str

    def assertion(self, now: float, *, aud: str | None = "https://oauth2.googleapis.com/token",
                  lifetime: int = 3600, kid: bool = True, **claims: Any) -> str:
        body = {"iss": self.email, "iat": int(now), "exp": int(now) + lifetime,
                "scope": "https://www.googleapis.com/auth/cloudkms", **claims}
        if aud is not None:
            body["aud"] = aud
        return jwt.encode(body, self.private_key_pem, algorithm="RS256", headers={"kid": self.key_id} if kid else None)

    def self_signed(self, now: float, lifetime: int = 3600) -> str:
        return self.assertion(now, aud=None, lifetime=lifetime, sub=self.email)


def make_account(core: Any, account: str, email: str = EMAIL, project: str = PROJECT) -> ServiceAccount:
    made = core.workload_identities.create_key_client(GCP_SERVICE_ACCOUNT, account, identity_id=email, tenant=project)
    assert made.identity.key_id is not None
    return ServiceAccount(email, made.identity.key_id, made.private_key_pem)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


class Client:
    """Requests as the REST transport sends them, with a bearer token (``numeric``: ``enum-encoding=int``)."""

    def __init__(self, app: GcpApp, token: str, numeric: bool = False) -> None:
        self.app = app
        self.token = token
        self.numeric = numeric

    def raw(self, method: str, path: str, body: bytes = b"", query: str = "", token: str | None = None,
            content_type: str = "application/json") -> HttpResponse:
        if self.numeric:
            query = "&".join(q for q in (query, "%24alt=json%3Benum-encoding%3Dint") if q)
        headers = {"host": HOST, "content-type": content_type}
        bearer = self.token if token is None else token
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        return self.app.handle(HttpRequest(method, path, query, headers, body, "127.0.0.1", True))

    def call(self, method: str, name: str, body: dict[str, Any] | None = None, **params: Any) -> tuple[int, Any]:
        query = urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()})
        response = self.raw(method, f"/v1/{name}", json.dumps(body).encode() if body is not None else b"", query)
        return response.status, json.loads(response.body)

    def ok(self, method: str, name: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        status, answer = self.call(method, name, body, **params)
        assert status == 200, answer
        return answer

    def error(self, status: int, google_status: str, method: str, name: str, body: dict[str, Any] | None = None,
              **params: Any) -> str:
        got, answer = self.call(method, name, body, **params)
        assert (got, answer["error"]["status"], answer["error"]["code"]) == (status, google_status, status), answer
        return str(answer["error"]["message"])


def token_request(app: GcpApp, form: dict[str, str], host: str = HOST) -> HttpResponse:
    return app.handle(HttpRequest("POST", "/token", "", {"host": host, "content-type":
                                  "application/x-www-form-urlencoded"}, urlencode(form).encode(), "127.0.0.1", True))
