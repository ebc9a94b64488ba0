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
