"""KeyMetadata as AWS renders it for every key spec: the algorithm lists that apply, and the deprecated
CustomerMasterKeySpec only for the specs its enum knows."""

import botocore.session
import pytest

from strongroom.domain.key_specs import FAMILY, USAGES
from strongroom.domain.keys import Key, KeyVersion
from strongroom.protocols.aws.shapes import key_metadata

MODEL = botocore.session.get_session().get_service_model("kms")
LEGACY = set(MODEL.shape_for("CustomerMasterKeySpec").enum)
ALGORITHM_MEMBERS = {"EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms",
                     "EncapsulationAlgorithms"}


@pytest.mark.parametrize("spec", sorted(FAMILY))
def test_metadata_for_every_spec_and_usage(spec):
    for usage in USAGES[FAMILY[spec]]:
        meta = key_metadata(Key("k", "111122223333", "us-east-1", 0.0, key_spec=spec, key_usage=usage))
        assert meta["KeySpec"] == spec and meta["KeyUsage"] == usage
        assert ("CustomerMasterKeySpec" in meta) == (spec in LEGACY)
        present = ALGORITHM_MEMBERS & set(meta)
        assert len(present) == 1, (spec, usage, present)
        enum = set(MODEL.shape_for("KeyMetadata").members[present.pop()].member.enum)
        assert all(set(meta[name]) <= enum for name in ALGORITHM_MEMBERS & set(meta))


def test_imported_material_reports_its_expiry():
    current = KeyVersion(1, "m" * 64, 0.0, None, True, True, 1_900_000_000.0, "KEY_MATERIAL_EXPIRES")
    meta = key_metadata(Key("k", "111122223333", "us-east-1", 0.0, origin="EXTERNAL"), current)
    assert (meta["CurrentKeyMaterialId"], meta["ValidTo"], meta["ExpirationModel"]) == (
        "m" * 64, 1_900_000_000.0, "KEY_MATERIAL_EXPIRES")
    assert "ValidTo" not in key_metadata(Key("k", "111122223333", "us-east-1", 0.0))
