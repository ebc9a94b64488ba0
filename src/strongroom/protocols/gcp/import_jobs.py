"""importJobs (create, get, list) and ``cryptoKeyVersions:import``.

An import job is a record at a path of the caller's account (a core mount of type ``import-job`` at
``gcp-import-jobs/<import job name>/``, its method and protection level in the mount's config). Its wrapping key is
the key ring's import wrapping key (RSA-4096, made by the core on first use, one per key ring), so the methods
offered are the RSA-4096 ones that wrap an ephemeral AES-256 key with RSA-OAEP and the target with AES Key Wrap
with Padding: ``RSA_OAEP_4096_SHA1_AES_256`` and ``RSA_OAEP_4096_SHA256_AES_256``. A job is ACTIVE for three days
after its creation, then EXPIRED. Imported material becomes a new version of the key (made primary when the key
has none).
"""

from __future__ import annotations

from typing import Any

from strongroom.domain.engines import Mount
from strongroom.errors import InvalidRequestError
from strongroom.protocols.gcp.algorithms import ALGORITHMS
from strongroom.protocols.gcp.enums import ALGORITHM, PROTECTION_LEVEL, GoogleEnum
from strongroom.protocols.gcp.errors import GoogleError, failed_precondition, invalid, not_found
from strongroom.protocols.gcp.key_rings import name_space
from strongroom.protocols.gcp.model import PRIMARY_ATTR, PROTECTION_ATTR, load
from strongroom.protocols.gcp.names import ResourceName, check_id, parse_name
from strongroom.protocols.gcp.paging import page
from strongroom.protocols.gcp.request import Call, b64_field, rfc3339

ENGINE_TYPE = "import-job"
_PREFIX = "gcp-import-jobs/"
LIFETIME_SECONDS = 3 * 86400
IMPORT_METHOD = GoogleEnum("google.cloud.kms.v1.ImportJob.ImportMethod", {
    "RSA_OAEP_3072_SHA1_AES_256": 1, "RSA_OAEP_4096_SHA1_AES_256": 2, "RSA_OAEP_3072_SHA256_AES_256": 3,
    "RSA_OAEP_4096_SHA256_AES_256": 4, "RSA_OAEP_3072_SHA256": 5, "RSA_OAEP_4096_SHA256": 6})
JOB_STATE = GoogleEnum("google.cloud.kms.v1.ImportJob.ImportJobState", {
    "PENDING_GENERATION": 1, "ACTIVE": 2, "EXPIRED": 3})
_HASHES = {"RSA_OAEP_4096_SHA1_AES_256": "SHA1", "RSA_OAEP_4096_SHA256_AES_256": "SHA256"}


def _path(name: ResourceName) -> str:
    return f"{_PREFIX}{name.key_ring_path}/importJobs/{name.import_job}/"


def _find(call: Call, name: ResourceName) -> Mount | None:
    path = _path(name)
    for mount in call.core.mounts.all(call.ctx.caller.account_id):
        if mount.path == path and mount.engine_type == ENGINE_TYPE:
            return mount
    return None


def _render(call: Call, name: str, mount: Mount, pem: str) -> dict[str, Any]:
    expires = mount.created_at + LIFETIME_SECONDS
    expired = call.core.clock.now() >= expires
    out: dict[str, Any] = {
        "name": name, "importMethod": call.enum(IMPORT_METHOD, mount.config["method"]),
        "protectionLevel": call.enum(PROTECTION_LEVEL, mount.config["protection_level"]),
        "createTime": rfc3339(mount.created_at), "generateTime": rfc3339(mount.created_at),
        "expireTime": rfc3339(expires), "state": call.enum(JOB_STATE, "EXPIRED" if expired else "ACTIVE"),
        "publicKey": {"pem": pem}}
    if expired:
        out["expireEventTime"] = rfc3339(expires)
    return out


def _wrapping_pem(call: Call, name: ResourceName) -> str:
    return call.core.named_keys.wrapping_key(call.ctx, name_space(call, name))


def create(call: Call) -> dict[str, Any]:
    job_id = check_id(call.param("importJobId"), "import_job_id")
    name = call.target.name.child(import_job=job_id)
    method = IMPORT_METHOD.parse(call.body.get("importMethod"), "import_job.import_method")
    if method is None:
        raise invalid("The request is missing a required field: import_job.import_method.")
    if method not in _HASHES:
        raise invalid(f"Import method {method} is not offered by this server; use one of {', '.join(_HASHES)}.")
    protection = PROTECTION_LEVEL.parse(call.body.get("protectionLevel"), "import_job.protection_level")
    if protection is None:
        raise invalid("The request is missing a required field: import_job.protection_level.")
    if protection not in ("SOFTWARE", "HSM"):
        raise invalid(f"Protection level {protection} is not offered by this server.")
    name_space(call, name)  # the key ring must exist
    if _find(call, name) is not None:
        raise GoogleError(409, "ALREADY_EXISTS", f"ImportJob {name.key_ring_path}/importJobs/{job_id} already exists.")
    pem = _wrapping_pem(call, name)
    try:
        mount = call.core.mounts.enable(call.ctx, _path(name), ENGINE_TYPE, "Cloud KMS import job",
                                        {"method": method, "protection_level": protection})
    except InvalidRequestError:
        raise GoogleError(409, "ALREADY_EXISTS", f"ImportJob {name.key_ring_path}/importJobs/{job_id} "
                          f"already exists.") from None
    return _render(call, f"{name.key_ring_path}/importJobs/{job_id}", mount, pem)


def get(call: Call) -> dict[str, Any]:
    name = call.target.name
    mount = _find(call, name)
    if mount is None:
        raise not_found(f"ImportJob {name.key_ring_path}/importJobs/{name.import_job} not found.")
    return _render(call, f"{name.key_ring_path}/importJobs/{name.import_job}", mount, _wrapping_pem(call, name))


def list_import_jobs(call: Call) -> dict[str, Any]:
    ring = call.target.name
    prefix = f"{_PREFIX}{ring.key_ring_path}/importJobs/"
    jobs = {m.path[len(_PREFIX):-1]: m for m in call.core.mounts.all(call.ctx.caller.account_id)
            if m.engine_type == ENGINE_TYPE and m.path.startswith(prefix)}
    names, next_token = page(call, sorted(jobs))
    pem = _wrapping_pem(call, ring) if names else ""
    body: dict[str, Any] = {"importJobs": [_render(call, n, jobs[n], pem) for n in names], "totalSize": len(jobs)}
    if next_token:
        body["nextPageToken"] = next_token
    return body


def import_version(call: Call) -> dict[str, Any]:
    body = call.body
    view = load(call, call.target.name)
    if body.get("cryptoKeyVersion"):
        raise invalid("Re-importing into an existing version is not offered by this server.")
    algorithm_name = ALGORITHM.parse(body.get("algorithm"), "algorithm")
    if algorithm_name is None:
        raise invalid("The request is missing a required field: algorithm.")
    if algorithm_name != view.algorithm.name or algorithm_name not in ALGORITHMS:
        raise invalid(f"Algorithm {algorithm_name} does not match the key's version template "
                      f"({view.algorithm.name}).")
    job_name = parse_name(body.get("importJob"), "import_job")
    if job_name.import_job is None or job_name.project != call.target.name.project \
            or job_name.key_ring_path != call.target.name.key_ring_path:
        raise invalid("import_job must be an import job of the key's key ring.")
    job = _find(call, job_name)
    if job is None:
        raise not_found(f"ImportJob {body.get('importJob')} not found.")
    if call.core.clock.now() >= job.created_at + LIFETIME_SECONDS:
        raise failed_precondition(f"ImportJob {body.get('importJob')} has expired.")
    if job.config["protection_level"] != view.attributes.get(PROTECTION_ATTR, "SOFTWARE"):
        raise failed_precondition("The import job's protection level differs from the key's version template.")
    wrapped = b64_field(body, "wrappedKey") or b64_field(body, "rsaAesWrappedKey")
    if not wrapped:
        raise invalid("The request is missing a required field: wrapped_key.")
    service = call.core.named_keys
    material = service.unwrap_import(call.ctx, view.space, view.algorithm.key_spec, wrapped,
                                     _HASHES[job.config["method"]])
    latest = view.key.current_version + 1
    attributes = {}
    if view.purpose == "ENCRYPT_DECRYPT":
        attributes[PRIMARY_ATTR] = f"{view.primary() or latest}@{latest}"
    service.rotate(call.ctx, view.space, view.key.name or "", material, attributes=attributes)
    fresh = load(call, call.target.name)
    out = fresh.render_version(call, fresh.version(fresh.key.current_version - fresh.offset))
    out["importJob"] = body.get("importJob")
    out["importTime"] = out["createTime"]
    return out
