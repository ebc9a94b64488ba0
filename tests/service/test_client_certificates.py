"""Client certificates as credentials: a binding by fingerprint matches one certificate, a binding by issuer and
subject matches every certificate that issuer gives that subject; revoked or unbound certificates authenticate as
nobody."""

import pytest
from cryptography import x509

from strongroom.crypto.certificates import certificate_identity, der_of
from strongroom.errors import AlreadyExistsError, AuthenticationError, InvalidRequestError, NotFoundError
from strongroom.server.tls import issue_client_certificate


def der(pem: bytes) -> bytes:
    return der_of(x509.load_pem_x509_certificate(pem))


def test_a_certificate_bound_by_fingerprint_is_its_principal_and_no_other_is(core, ctx, tmp_path):
    first, _ = issue_client_certificate(tmp_path, "app")
    second, _ = issue_client_certificate(tmp_path, "app")  # same issuer and subject, another certificate
    account = ctx.caller.account_id
    binding = core.client_certificates.bind(account, certificate=first, description="app server")
    found = core.client_certificates.authenticate(der(first))
    assert found == binding and found.fingerprint == certificate_identity(first).fingerprint
    caller = core.client_certificates.caller(found)
    assert (caller.account_id, caller.user_name) == (account, "root")
    assert caller.principal_arn == f"arn:aws:iam::{account}:root"
    with pytest.raises(AuthenticationError):
        core.client_certificates.authenticate(der(second))


def test_a_binding_by_issuer_and_subject_survives_renewal(core, ctx, tmp_path):
    first, _ = issue_client_certificate(tmp_path, "backup-agent")
    renewed, _ = issue_client_certificate(tmp_path, "backup-agent")
    identity = certificate_identity(first)
    core.principals.create_user(ctx.caller.account_id, "backup")
    core.client_certificates.bind(ctx.caller.account_id, "backup", issuer=identity.issuer, subject=identity.subject)
    assert core.client_certificates.authenticate(der(renewed)).user_name == "backup"
    other, _ = issue_client_certificate(tmp_path, "someone-else")
    with pytest.raises(AuthenticationError):
        core.client_certificates.authenticate(der(other))


def test_revoked_bindings_authenticate_nobody(core, ctx, tmp_path):
    cert, _ = issue_client_certificate(tmp_path, "app")
    binding = core.client_certificates.bind(ctx.caller.account_id, certificate=cert)
    core.client_certificates.authenticate(der(cert))  # cached now
    core.client_certificates.revoke(binding.binding_id)
    with pytest.raises(AuthenticationError):
        core.client_certificates.authenticate(der(cert))
    assert core.client_certificates.list(ctx.caller.account_id) == []
    with pytest.raises(NotFoundError):
        core.client_certificates.revoke(binding.binding_id)


def test_bad_bindings_are_refused(core, ctx, tmp_path):
    cert, _ = issue_client_certificate(tmp_path, "app")
    account = ctx.caller.account_id
    with pytest.raises(InvalidRequestError):
        core.client_certificates.bind(account)
    with pytest.raises(InvalidRequestError):
        core.client_certificates.bind(account, certificate=cert, issuer="CN=x", subject="CN=y")
    with pytest.raises(InvalidRequestError):
        core.client_certificates.bind(account, certificate=b"-----BEGIN CERTIFICATE-----\nnope\n")
    with pytest.raises(NotFoundError):
        core.client_certificates.bind(account, "nobody", certificate=cert)
    core.client_certificates.bind(account, certificate=cert)
    with pytest.raises(AlreadyExistsError):
        core.client_certificates.bind(account, certificate=cert)
