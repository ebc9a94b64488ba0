"""Google's OAuth 2.0 token endpoint, ``POST /token``: the JWT-bearer grant (RFC 7523).

The assertion is an RS256 JWT signed with a service account's key: google-auth's unpadded one (``kid``, ``aud``
always ``https://oauth2.googleapis.com/token``) and libmongocrypt's padded one (``aud`` =
``https://<endpoint host without port>/token``) are both accepted; the core checks signature, issuer, key id,
lifetime and audience. Errors are OAuth's ``{"error": "invalid_grant", "error_description": …}`` with 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from strongroom.domain.workload_identities import GCP_SERVICE_ACCOUNT, WorkloadIdentity
from strongroom.errors import AuthenticationError, StrongroomError
from strongroom.protocols.http import HttpRequest
from strongroom.service.core import Core

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
KMS_AUDIENCE = "https://cloudkms.googleapis.com/"


class OAuthError(Exception):
    """An OAuth error answer (never carries the assertion)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True, slots=True)
class Granted:
    identity: WorkloadIdentity
    token: str
    expires_in: int

    def __repr__(self) -> str:
        return f"Granted({self.identity!r}, <token>, expires_in={self.expires_in})"


def host_urls(request: HttpRequest, path: str) -> tuple[str, ...]:
    """``https://<Host>{path}`` with and without the Host header's port (libmongocrypt drops the port)."""
    host = request.headers.get("host", "")
    if not host:
        return ()
    head, colon, port = host.rpartition(":")
    bare = head if colon and port.isdigit() and not host.endswith("]") else host
    return tuple(dict.fromkeys((f"https://{host}{path}", f"https://{bare}{path}")))


def token_audiences(request: HttpRequest) -> tuple[str, ...]:
    return (*host_urls(request, "/token"), GOOGLE_TOKEN_URL)


def grant(core: Core, request: HttpRequest) -> Granted:
    """The token the request's grant earns; OAuthError otherwise."""
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" not in content_type:
        raise OAuthError("invalid_request", "The request must be application/x-www-form-urlencoded.")
    try:
        form = parse_qs(request.body.decode("utf-8"), strict_parsing=False)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "The request body is not UTF-8.") from None
    grant_type = (form.get("grant_type") or [""])[0]
    assertion = (form.get("assertion") or [""])[0]
    if grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", "Invalid grant_type: expected the JWT bearer grant.")
    if not assertion:
        raise OAuthError("invalid_request", "Missing required parameter: assertion.")
    identities = core.workload_identities
    try:
        identity = identities.authenticate_assertion(GCP_SERVICE_ACCOUNT, assertion, token_audiences(request))
    except AuthenticationError as exc:
        raise OAuthError("invalid_grant", exc.message or "Invalid JWT Signature.") from None
    except StrongroomError as exc:
        raise OAuthError("invalid_grant", exc.message or "Invalid grant.") from None
    issued = identities.issue_token(identity, KMS_AUDIENCE)
    return Granted(identity, issued.token, issued.expires_in)
