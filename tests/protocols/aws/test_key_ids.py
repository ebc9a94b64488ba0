import pytest

from strongroom.domain.references import KeyRef
from strongroom.errors import InvalidArnError, NotFoundError
from strongroom.protocols.aws.key_ids import key_ref

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("value, expected", [
    (KEY, KeyRef(key_id=KEY, text=KEY)),
    (f"arn:aws:kms:us-east-1:111122223333:key/{KEY}",
     KeyRef(key_id=KEY, account_id="111122223333", region="us-east-1",
            text=f"arn:aws:kms:us-east-1:111122223333:key/{KEY}")),
    ("alias/orders", KeyRef(alias="alias/orders", text="alias/orders")),
    ("arn:aws:kms:eu-west-1:111122223333:alias/orders",
     KeyRef(alias="alias/orders", account_id="111122223333", region="eu-west-1",
            text="arn:aws:kms:eu-west-1:111122223333:alias/orders")),
])
def test_every_key_id_form(value, expected):
    assert key_ref(value) == expected


@pytest.mark.parametrize("value", ["arn:aws:s3:::bucket", "arn:aws:kms:us-east-1:1:thing/x", "arn:aws:kms"])
def test_bad_arns(value):
    with pytest.raises(InvalidArnError):
        key_ref(value)


def test_alias_refused_where_only_keys_are_accepted():
    with pytest.raises(NotFoundError):
        key_ref("alias/orders", alias=False)

