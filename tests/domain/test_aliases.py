import pytest

from strongroom.domain.aliases import check_alias_name
from strongroom.errors import InvalidAliasNameError


@pytest.mark.parametrize("name", ["orders", "alias/", "alias/has space", "alias/aws/reserved", "alias/" + "x" * 251])
def test_bad_alias_names(name):
    with pytest.raises(InvalidAliasNameError):
        check_alias_name(name)


def test_good_alias_name():
    check_alias_name("alias/team-a/orders_v2")
