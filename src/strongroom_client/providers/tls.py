"""``kms_tls_options``: per-provider TLS settings for talking to a KMS, as MongoDB drivers take them.

``{"aws": {"tlsCAFile": "ca.pem", "tlsCertificateKeyFile": "client.pem", "tlsCertificateKeyFilePassword": …}}``.
Certificates and host names are always verified (TLS 1.2 or newer); the options that would turn that off
are refused, as pymongo refuses them.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from strongroom_client.errors import ConfigurationError

ALLOWED = frozenset({"tls", "tlsCAFile", "tlsCertificateKeyFile", "tlsCertificateKeyFilePassword"})
INSECURE = frozenset(
    {
        "tlsInsecure",
        "tlsAllowInvalidCertificates",
        "tlsAllowInvalidHostnames",
        "tlsDisableOCSPEndpointCheck",
        "tlsDisableCertificateRevocationCheck",
    }
)


def ssl_context(provider: str, options: Mapping[str, Any] | None) -> ssl.SSLContext:
    """A verifying client context; the system's CAs unless ``tlsCAFile`` names the only CA to trust."""
    options = dict(options or {})
    insecure = sorted(set(options) & INSECURE)
    if insecure:
        raise ConfigurationError(f"kms_tls_options[{provider!r}]: insecure TLS option {insecure[0]!r} is prohibited")
    unknown = sorted(set(options) - ALLOWED)
    if unknown:
        raise ConfigurationError(f"kms_tls_options[{provider!r}]: unknown option {unknown[0]!r}")
    if options.get("tls", True) is not True:
        raise ConfigurationError(f"kms_tls_options[{provider!r}]: TLS is required for KMS providers")
    try:
        context = ssl.create_default_context(cafile=options.get("tlsCAFile"))
        if "tlsCertificateKeyFile" in options:
            context.load_cert_chain(
                options["tlsCertificateKeyFile"], password=options.get("tlsCertificateKeyFilePassword")
            )
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"kms_tls_options[{provider!r}]: {exc}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
