"""The HTTP mount table: each path goes to its adapter, and an answer whose audit batch failed is replaced in
that adapter's own error shape (retryable)."""

import orjson

from strongroom.errors import DependencyUnavailableError
from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.http import HttpRequest
from strongroom.protocols.vault.app import VaultApp
from strongroom.server.routes import Router


def request(path: str) -> HttpRequest:
    return HttpRequest("GET", path, "", {}, b"", "127.0.0.1", False)


def test_paths_go_to_their_adapter_and_failed_audits_answer_in_its_shape(core):
    router = Router(AwsKmsApp(core), vault=VaultApp(core))
    vault_answer = router(request("/v1/sys/health"))
    aws_answer = router(request("/"))
    assert vault_answer.facts["frontend"] == "vault" and aws_answer.facts["frontend"] == "aws"

    down = DependencyUnavailableError("the database is unreachable")
    vault_failed = router.audit_failed(down, vault_answer)
    assert vault_failed.status == 503 and orjson.loads(vault_failed.body)["errors"]
    aws_failed = router.audit_failed(down, aws_answer)
    assert aws_failed.status == 503
    assert orjson.loads(aws_failed.body)["__type"] == "DependencyTimeoutException"
    assert router.audit_failed(RuntimeError("bug"), vault_answer).status == 500


def test_azure_and_google_paths_reach_their_adapters_before_vault_and_aws(core):
    from strongroom.protocols.azure.app import AzureApp
    from strongroom.protocols.gcp.app import GcpApp

    router = Router(AwsKmsApp(core), vault=VaultApp(core), mounted=[AzureApp(core, "us-east-1"),
                                                                    GcpApp(core, "us-east-1")])
    for path, frontend in (("/keys/payments/create", "azure"), ("/tenant-1/oauth2/v2.0/token", "azure"),
                           ("/deletedkeys", "azure"), ("/v1/projects/p/locations/global/keyRings", "gcp"),
                           ("/token", "gcp"), ("/v1/transit/keys", "vault"), ("/", "aws")):
        assert router(request(path)).facts["frontend"] == frontend, path
    failed = router.audit_failed(DependencyUnavailableError("the database is unreachable"), router(request("/token")))
    assert failed.status == 503 and orjson.loads(failed.body)["error"]["status"] == "UNAVAILABLE"
