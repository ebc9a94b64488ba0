"""KMS providers: building them from ``kms_providers`` and ``kms_tls_options``.

Each kind is one module (``local.py``, ``aws.py``, ``azure.py``, ``gcp.py``, ``kmip.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strongroom_client.errors import ConfigurationError
from strongroom_client.providers.aws import AwsProvider
from strongroom_client.providers.azure import AzureProvider
from strongroom_client.providers.base import KmsProvider, provider_kind
from strongroom_client.providers.gcp import GcpProvider
from strongroom_client.providers.http import HttpsTransport, RetryPolicy, Transport
from strongroom_client.providers.kmip import KmipExchange, KmipProvider, TlsExchange
from strongroom_client.providers.local import LocalProvider
from strongroom_client.providers.tls import ssl_context

__all__ = ["KmipExchange", "KmsProvider", "RetryPolicy", "Transport", "build_providers", "provider_kind"]


def build_providers(
    kms_providers: Mapping[str, Mapping[str, Any]],
    kms_tls_options: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    transport: Transport | None = None,
    retry: RetryPolicy | None = None,
    kmip_exchange: KmipExchange | None = None,
) -> dict[str, KmsProvider]:
    """One provider per entry of ``kms_providers``, keyed by its full name (``"aws:prod"``)."""
    if not isinstance(kms_providers, Mapping) or not kms_providers:
        raise ConfigurationError("kms_providers must name at least one provider")
    tls_options = dict(kms_tls_options or {})
    for name in tls_options:
        if name not in kms_providers:
            raise ConfigurationError(f"kms_tls_options names {name!r}, which is not in kms_providers")
    providers: dict[str, KmsProvider] = {}
    for name, credentials in kms_providers.items():
        kind = provider_kind(name)
        if not isinstance(credentials, Mapping):
            raise ConfigurationError(f"kms_providers[{name!r}] must be a document")
        if kind == "local":
            if name in tls_options:
                raise ConfigurationError(f"kms_tls_options[{name!r}]: the local provider does not use TLS")
            providers[name] = LocalProvider(name, credentials)
        elif kind in _HTTP_PROVIDERS:
            sender = transport or HttpsTransport(ssl_context(name, tls_options.get(name)))
            providers[name] = _HTTP_PROVIDERS[kind](name, credentials, transport=sender, retry=retry)
        else:
            exchange = kmip_exchange or TlsExchange(ssl_context(name, tls_options.get(name)))
            providers[name] = KmipProvider(name, credentials, exchange=exchange, retry=retry)
    return providers


_HTTP_PROVIDERS = {"aws": AwsProvider, "azure": AzureProvider, "gcp": GcpProvider}
