"""The Microsoft identity platform's endpoints, as MSAL (azure-identity) and libmongocrypt use them.

* ``POST /{tenant}/oauth2/v2.0/token``: the client-credentials grant with a client secret. libmongocrypt puts
  ``client_id`` and ``client_secret`` in the form unencoded, so each value is tried as received as well as
  form-decoded (issued secrets use only unreserved characters, where both agree). Any ``scope`` is accepted; the
  token's audience is the scope without ``/.default``.
* ``GET /{tenant}/v2.0/.well-known/openid-configuration``: the metadata MSAL reads before its first token request.

Errors are the platform's shape: ``{"error", "error_description": "AADSTS…", "error_codes", "timestamp",
"trace_id", "correlation_id"}``, 400 or 401.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_plus

import orjson

from strongroom.domain.workload_identities import AZURE_APP, WorkloadIdentity
from strongroom.errors import AuthenticationError
from strongroom.protocols.http import HttpRequest
from strongroom.service.workload_identities import WorkloadIdentities

TOKEN = "Token"
OPENID_CONFIGURATION = "OpenIdConfiguration"
GRANT = "client_credentials"


class IdentityError(Exception):
    """A token request refused, in the identity platform's terms."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.code = code
        self.description = description

    def body(self, request_id: str) -> bytes:
        return orjson.dumps({"error": self.error, "error_description": f"AADSTS{self.code}: {self.description} "
                             f"Trace ID: {request_id}", "error_codes": [self.code],
                             "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                             "trace_id": request_id, "correlation_id": request_id})


@dataclass(frozen=True, slots=True)
class Granted:
    identity: WorkloadIdentity
    body: bytes  # the token response; holds the bearer token: never logged


def _form(body: bytes) -> dict[str, list[str]]:
    """Each member's candidate values: as received, and form-decoded when that differs."""
    out: dict[str, list[str]] = {}
    for part in body.decode("utf-8", "replace").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        candidates = [unquote_plus(value)]
        for other in (unquote(value), value):
            if other not in candidates:
                candidates.append(other)
        out.setdefault(unquote_plus(name), candidates)
    return out


def token(identities: WorkloadIdentities, tenant: str, request: HttpRequest) -> Granted:
    if request.method != "POST":
        raise IdentityError(400, "invalid_request", 900561, "The endpoint only accepts POST requests.")
    form = _form(request.body)
    grant = (form.get("grant_type") or [""])[0]
    if not grant:
        raise IdentityError(400, "invalid_request", 900144, "The request body must contain the following "
                                                            "parameter: 'grant_type'.")
    if grant != GRANT:
        raise IdentityError(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type "
                                                                  f"'{grant}'.")
    client_ids = form.get("client_id") or []
    if not client_ids or not client_ids[0]:
        raise IdentityError(400, "invalid_request", 900144, "The request body must contain the following "
                                                            "parameter: 'client_id'.")
    if "client_assertion" in form:
        raise IdentityError(400, "invalid_request", 700027, "Client assertions are not accepted by this server: "
                                                            "authenticate with a client secret.")
    secrets = form.get("client_secret") or []
    if not secrets or not secrets[0]:
        raise IdentityError(401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or "
                                                            "'request' is required for the 'client_credentials' "
                                                            "grant type.")
    identity = _authenticated(identities, tenant, client_ids, secrets)
    scope = (form.get("scope") or [""])[0]
    audience = scope.split(" ")[0].removesuffix("/.default") or "https://vault.azure.net"
    issued = identities.issue_token(identity, audience)
    body = orjson.dumps({"token_type": "Bearer", "expires_in": issued.expires_in,
                         "ext_expires_in": issued.expires_in, "access_token": issued.token})
    return Granted(identity, body)


def _authenticated(identities: WorkloadIdentities, tenant: str, client_ids: list[str],
                   secrets: list[str]) -> WorkloadIdentity:
    known = next((identities.get(c) for c in client_ids if identities.get(c) is not None), None)
    if known is None or known.kind != AZURE_APP:
        raise IdentityError(400, "unauthorized_client", 700016, f"Application with identifier '{client_ids[0]}' "
                                                                f"was not found in the directory '{tenant}'.")
    if known.tenant.lower() != tenant.lower():
        raise IdentityError(400, "unauthorized_client", 700016, f"Application with identifier "
                                                                f"'{known.identity_id}' was not found in the "
                                                                f"directory '{tenant}'.")
    for secret in secrets:
        try:
            return identities.authenticate_secret(AZURE_APP, known.identity_id, secret, known.tenant)
        except AuthenticationError:
            continue
    raise IdentityError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                                                        f"sent in the request is the client secret value, not the "
                                                        f"client secret ID, for a secret added to app "
                                                        f"'{known.identity_id}'.")


def openid_configuration(host: str, tenant: str) -> bytes:
    base = f"https://{host}/{tenant}"
    document: dict[str, Any] = {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "jwks_uri": f"https://{host}/{tenant}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "tenant_region_scope": None,
        "cloud_instance_name": host,
    }
    return orjson.dumps(document)
