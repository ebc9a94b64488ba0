import pytest

from strongroom.domain.aliases import check_alias_name
from strongroom.domain.references import KeyReference, parse_key_reference
from strongroom.errors import InvalidAliasNameError, InvalidArnError, NotFoundError

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("value, expected", [
    (KEY, KeyReference(key_id=KEY)),
    (f"arn:aws:kms:us-east-1:111122223333:key/{KEY}",
     KeyReference(key_id=KEY, account_id="111122223333", region="us-east-1")),
    ("alias/orders", KeyReference(alias_name="alias/orders")),
    ("arn:aws:kms:eu-west-1:111122223333:alias/orders",
     KeyReference(alias_name="alias/orders", account_id="111122223333", region="eu-west-1")),
])
def test_every_key_id_form(value, expected):
    assert parse_key_reference(value) == expected


@pytest.mark.parametrize("value", ["arn:aws:s3:::bucket", "arn:aws:kms:us-east-1:1:thing/x", "arn:aws:kms"])
def test_bad_arns(value):
    with pytest.raises(InvalidArnError):
        parse_key_reference(value)


def test_alias_refused_where_only_keys_are_accepted():
    with pytest.raises(NotFoundError):
        parse_key_reference("alias/orders", allow_alias=False)


@pytest.mark.parametrize("name", ["orders", "alias/", "alias/has space", "alias/aws/reserved", "alias/" + "x" * 251])
def test_bad_alias_names(name):
    with pytest.raises(InvalidAliasNameError):
        check_alias_name(name)


def test_good_alias_name():
    check_alias_name("alias/team-a/orders_v2")
