"""The shamir root: SLIP-0039 vectors, every quorum rebuilds the root, and every bad share is refused without
losing the progress made."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from shamir_mnemonic import Share, combine_mnemonics

from strongroom.trust.base import RootConfigError, RootOfTrustError
from strongroom.trust.shamir import ShareCollector, ShareError, check_split, new_share_set

# SLIP-0039's published test vectors (passphrase "TREZOR"): the library is the reference implementation.
VECTORS = [
    ("duckling enlarge academic academic agency result length solution fridge kidney coal piece deal husband "
     "erode duke ajar critical decision keyboard", "bb54aac4b89dc868ba37d9cc21b2cece"),
    ("theory painting academic academic armed sweater year military elder discuss acne wildlife boring employer "
     "fused large satoshi bundle carbon diagnose anatomy hamster leaves tracks paces beyond phantom capital marvel "
     "lips brave detect luck", "989baf9dcaad5b10ca33dfd8cc75e42477025dce88ae83e75a230086a0e00e92"),
]
BAD_CHECKSUM = ("duckling enlarge academic academic agency result length solution fridge kidney coal piece deal "
                "husband erode duke ajar critical decision kidney")
BAD_PADDING = ("duckling enlarge academic academic email result length solution fridge kidney coal piece deal "
               "husband erode duke ajar music cargo fitness")
KEK = bytes(range(32))


@pytest.mark.parametrize(("mnemonic", "secret"), VECTORS)
def test_slip39_vectors(mnemonic: str, secret: str) -> None:
    assert combine_mnemonics([mnemonic], b"TREZOR") == bytes.fromhex(secret)


@pytest.mark.parametrize("mnemonic", [BAD_CHECKSUM, BAD_PADDING])
def test_malformed_vectors_are_refused(mnemonic: str) -> None:
    collector = ShareCollector({"set": Share.from_mnemonic(VECTORS[0][0]).identifier, "threshold": 1})
    with pytest.raises(ShareError, match="not a valid share"):
        collector.add(mnemonic)
    assert collector.entered == 0


def test_every_quorum_rebuilds_the_root_and_no_smaller_set_completes() -> None:
    made = new_share_set(5, 3)
    record = made.root.wrap_kek(KEK)
    assert len(made.shares) == 5 and len(set(made.shares)) == 5
    for quorum in itertools.combinations(made.shares, 3):
        collector = ShareCollector(made.root.meta)
        for n, share in enumerate(quorum, 1):
            assert not collector.complete
            assert collector.add(share) == n
        assert collector.complete
        assert collector.combine().unwrap_kek(record) == KEK
        assert collector.entered == 0  # emptied once combined


def test_two_splits_never_share_a_root_key() -> None:
    first, second = new_share_set(3, 2), new_share_set(3, 2)
    collector = ShareCollector(second.root.meta)
    for share in second.shares[:2]:
        collector.add(share)
    with pytest.raises(RootOfTrustError, match="does not unwrap"):
        collector.combine().unwrap_kek(first.root.wrap_kek(KEK))


def test_refusals_keep_the_progress() -> None:
    made, other = new_share_set(5, 3), new_share_set(5, 3)
    collector = ShareCollector(made.root.meta)
    collector.add(made.shares[0])
    with pytest.raises(ShareError, match="already entered"):
        collector.add(made.shares[0])
    with pytest.raises(ShareError, match="another share set"):
        collector.add(other.shares[1])
    words = made.shares[1].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    with pytest.raises(ShareError, match="not a valid share"):
        collector.add(" ".join(words))
    assert collector.entered == 1
    collector.add("  " + made.shares[1].upper() + "\n")  # case and spacing do not matter
    collector.add(made.shares[4])
    assert collector.combine().unwrap_kek(made.root.wrap_kek(KEK)) == KEK


def test_a_forged_share_with_a_valid_checksum_is_caught_by_the_digest() -> None:
    made = new_share_set(3, 2)
    genuine = Share.from_mnemonic(made.shares[0])
    forged = dataclasses.replace(genuine, value=bytes(b ^ 1 for b in genuine.value)).mnemonic()
    collector = ShareCollector(made.root.meta)
    collector.add(forged)
    collector.add(made.shares[1])
    with pytest.raises(RootOfTrustError, match="do not combine"):
        collector.combine()
    assert collector.entered == 0  # reset: enter the shares again


@pytest.mark.parametrize(("shares", "threshold"), [(5, 6), (3, 0), (17, 3), (5, 1)])
def test_impossible_splits_are_refused(shares: int, threshold: int) -> None:
    with pytest.raises(RootConfigError):
        check_split(shares, threshold)


def test_one_of_one_is_allowed() -> None:
    made = new_share_set(1, 1)
    collector = ShareCollector(made.root.meta)
    collector.add(made.shares[0])
    assert collector.combine().unwrap_kek(made.root.wrap_kek(KEK)) == KEK
