"""cryptoKeys: create, get, list, patch (rotation schedule, labels, destroy-scheduled duration) and
``:updatePrimaryVersion``. A CryptoKey is the core's named key ``cryptoKeyId`` in its key ring's name space."""

from __future__ import annotations

from typing import Any

import orjson

from strongroom.protocols.gcp.algorithms import algorithm_for
from strongroom.protocols.gcp.enums import ALGORITHM, PROTECTION_LEVEL, PURPOSE
from strongroom.protocols.gcp.errors import failed_precondition, invalid
from strongroom.protocols.gcp.key_rings import name_space
from strongroom.protocols.gcp.model import (
    ALGORITHM_ATTR,
    DESTROY_DURATION_ATTR,
    IMPORT_ONLY_ATTR,
    LABELS_ATTR,
    OFFSET_ATTR,
    PRIMARY_ATTR,
    PROTECTION_ATTR,
    PURPOSE_ATTR,
    load,
)
from strongroom.protocols.gcp.names import check_id
from strongroom.protocols.gcp.paging import page
from strongroom.protocols.gcp.request import Call, bool_param, duration, object_field, text_field, version_number
from strongroom.service.named_keys import AUTO_ROTATE_PERIOD

MIN_ROTATION_SECONDS = 86400
MIN_DESTROY_SECONDS = 86400
_PATCHABLE = frozenset({"rotation_period", "rotationPeriod", "next_rotation_time", "nextRotationTime", "labels",
                        "destroy_scheduled_duration", "destroyScheduledDuration", "version_template",
                        "versionTemplate", "version_template.algorithm", "versionTemplate.algorithm"})


def _rotation(body: dict[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    period = duration(body.get("rotationPeriod"), "crypto_key.rotation_period")
    if period is not None:
        if period < MIN_ROTATION_SECONDS:
            raise invalid("rotation_period must be at least 86400s (one day).")
        attributes[AUTO_ROTATE_PERIOD] = str(int(period))
    return attributes


def _labels(body: dict[str, Any]) -> dict[str, str]:
    labels = body.get("labels")
    if labels is None:
        return {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise invalid("Invalid value at 'crypto_key.labels': a map of strings.")
    return {LABELS_ATTR: orjson.dumps(labels).decode()}


def _destroy_duration(body: dict[str, Any]) -> dict[str, str]:
    seconds = duration(body.get("destroyScheduledDuration"), "crypto_key.destroy_scheduled_duration")
    if seconds is None:
        return {}
    if seconds < MIN_DESTROY_SECONDS:
        raise invalid("destroy_scheduled_duration must be at least 24 hours.")
    return {DESTROY_DURATION_ATTR: str(int(seconds))}


def create(call: Call) -> dict[str, Any]:
    key_id = check_id(call.param("cryptoKeyId"), "crypto_key_id")
    space = name_space(call, call.target.name)
    body = call.body
    purpose = PURPOSE.parse(body.get("purpose"), "crypto_key.purpose")
    if purpose is None:
        raise invalid("The request is missing a required field: crypto_key.purpose.")
    template = object_field(body, "versionTemplate")
    algorithm = algorithm_for(purpose, ALGORITHM.parse(template.get("algorithm"), "version_template.algorithm"))
    protection = PROTECTION_LEVEL.parse(template.get("protectionLevel"), "version_template.protection_level",
                                        "SOFTWARE")
    if protection not in ("SOFTWARE", "HSM"):
        raise invalid(f"Protection level {protection} is not offered by this server.")
    skip = bool_param(call.param("skipInitialVersionCreation"), "skip_initial_version_creation")
    import_only = bool_param(body.get("importOnly"), "crypto_key.import_only")
    if import_only and not skip:
        raise invalid("Import-only keys must be created with skip_initial_version_creation.")
    if body.get("nextRotationTime") is not None and purpose != "ENCRYPT_DECRYPT":
        raise invalid("Only ENCRYPT_DECRYPT keys can be rotated automatically.")
    attributes = {PURPOSE_ATTR: purpose, ALGORITHM_ATTR: algorithm.name, PROTECTION_ATTR: protection,
                  **_rotation(body), **_labels(body), **_destroy_duration(body)}
    if skip:
        attributes[OFFSET_ATTR] = "1"
        attributes[PRIMARY_ATTR] = "0@1"
    if import_only:
        attributes[IMPORT_ONLY_ATTR] = "1"
    if AUTO_ROTATE_PERIOD in attributes and purpose != "ENCRYPT_DECRYPT":
        raise invalid("Only ENCRYPT_DECRYPT keys can be rotated automatically.")
    size = algorithm.hmac_bytes if algorithm.key_spec == "HMAC" else None
    service = call.core.named_keys
    service.create(call.ctx, space, key_id, algorithm.key_spec, key_size=size, attributes=attributes)
    if skip:
        named = service.describe(call.ctx, space, key_id)
        call.core.keys.set_version_enabled(call.ctx, named.key.key_id, 1, False)
    return load(call, call.target.name.child(crypto_key=key_id)).render(call)


def get(call: Call) -> dict[str, Any]:
    return load(call, call.target.name).render(call)


def list_crypto_keys(call: Call) -> dict[str, Any]:
    space = name_space(call, call.target.name)
    every = sorted(call.core.named_keys.names(call.ctx, space))
    names, next_token = page(call, every)
    keys = [load(call, call.target.name.child(crypto_key=n)).render(call) for n in names]
    body: dict[str, Any] = {"cryptoKeys": keys, "totalSize": len(every)}
    if next_token:
        body["nextPageToken"] = next_token
    return body


def patch(call: Call) -> dict[str, Any]:
    mask = [m.strip() for m in (call.param("updateMask") or "").split(",") if m.strip()]
    if not mask:
        raise invalid("The request is missing a required field: update_mask.")
    unknown = [m for m in mask if m not in _PATCHABLE]
    if unknown:
        raise invalid(f"Field {unknown[0]} cannot be updated.")
    view = load(call, call.target.name)
    body = call.body
    attributes: dict[str, str] = {}
    fields = {m.replace("_", "").lower() for m in mask}
    if "rotationperiod" in fields:
        rotation = _rotation(body)
        if rotation and view.purpose != "ENCRYPT_DECRYPT":
            raise failed_precondition("Only ENCRYPT_DECRYPT keys can be rotated automatically.")
        attributes[AUTO_ROTATE_PERIOD] = rotation.get(AUTO_ROTATE_PERIOD, "")
    if "labels" in fields:
        attributes[LABELS_ATTR] = _labels(body).get(LABELS_ATTR, "")
    if "destroyscheduledduration" in fields:
        attributes.update(_destroy_duration(body))
    if fields & {"versiontemplate", "versiontemplate.algorithm"}:
        template = object_field(body, "versionTemplate")
        chosen = ALGORITHM.parse(template.get("algorithm"), "version_template.algorithm")
        if chosen is not None and algorithm_for(view.purpose, chosen).key_spec != view.algorithm.key_spec:
            raise invalid(f"This server cannot change the algorithm of {view.name.crypto_key_path} to {chosen}.")
    call.core.named_keys.configure(call.ctx, view.space, view.key.name or "", attributes=attributes)
    return load(call, call.target.name).render(call)


def update_primary_version(call: Call) -> dict[str, Any]:
    view = load(call, call.target.name)
    if view.purpose != "ENCRYPT_DECRYPT":
        raise failed_precondition(f"{view.name.crypto_key_path} has purpose {view.purpose}: it has no primary.")
    google = version_number(text_field(call.body, "cryptoKeyVersionId"))
    version = view.version(google)
    if view.state(version) != "ENABLED":
        raise failed_precondition(f"{view.name.version_path(google)} is not enabled, current state is: "
                                  f"{view.state(version)}.")
    pin = f"{version.version}@{view.key.current_version}"
    call.core.named_keys.configure(call.ctx, view.space, view.key.name or "", attributes={PRIMARY_ATTR: pin})
    return load(call, call.target.name).render(call)

