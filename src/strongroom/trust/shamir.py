"""The ``shamir`` root of trust: a root key that exists only while a quorum of operators has given shares.

Splitting and combining is SLIP-0039 (Shamir over GF(256)) through Trezor's reference implementation,
``shamir-mnemonic``: each share is a list of words with a checksum (a mistyped share is refused, not
combined), an identifier tying it to its share set, its threshold, and a digest that catches a wrong
combination. The root key itself is never stored: the KEK record notes the set's identifier, threshold and
size, so a share of another set is refused at once and progress can be shown before the first share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shamir_mnemonic import MnemonicError, Share, generate_mnemonics, recover_ems
from shamir_mnemonic.shamir import ShareGroup

from strongroom.crypto.aead import new_key
from strongroom.trust.base import RootConfigError, RootOfTrustError
from strongroom.trust.local_key import LocalKeyRoot

NAME = "shamir"
MAX_SHARES = 16  # SLIP-0039's limit per group


class ShareError(RootOfTrustError):
    """A share was refused (malformed, of another set, or already entered); the progress is unchanged."""


@dataclass(frozen=True)
class ShamirSettings:
    shares: int = 5
    threshold: int = 3


@dataclass(frozen=True)
class ShareSet:
    root: LocalKeyRoot
    shares: list[str]


def check_split(shares: int, threshold: int) -> None:
    if not 1 <= threshold <= shares <= MAX_SHARES:
        raise RootConfigError(f"need 1 <= threshold <= shares <= {MAX_SHARES}, got {threshold} of {shares}")
    if threshold == 1 and shares > 1:
        raise RootConfigError("a threshold of 1 with several shares would make every share the root key; "
                              "use a threshold of at least 2, or a single share")


def new_share_set(shares: int, threshold: int) -> ShareSet:
    """A new random root key, split into ``shares`` word lists of which any ``threshold`` rebuild it."""
    check_split(shares, threshold)
    key = new_key()
    words = generate_mnemonics(1, [(threshold, shares)], key, b"", extendable=False, iteration_exponent=0)[0]
    first = Share.from_mnemonic(words[0])
    meta = {"set": first.identifier, "threshold": threshold, "shares": shares}
    return ShareSet(LocalKeyRoot(NAME, key, meta=meta), list(words))


class ShareCollector:
    """Shares entered one at a time toward the threshold of the share set ``meta`` describes."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.set_id = meta.get("set")
        self.threshold = int(meta.get("threshold", 0))
        self.size = int(meta.get("shares", 0))
        self._group = ShareGroup()

    @property
    def entered(self) -> int:
        return len(self._group)

    @property
    def complete(self) -> bool:
        return self.entered >= self.threshold > 0

    def add(self, mnemonic: str) -> int:
        """Add one share; returns how many are entered. Raises ``ShareError`` and keeps progress if refused."""
        try:
            share = Share.from_mnemonic(" ".join(mnemonic.lower().split()))
        except MnemonicError as exc:
            raise ShareError(f"not a valid share ({exc}); check it for typos") from None
        if share.identifier != self.set_id or share.member_threshold != self.threshold:
            raise ShareError("this share belongs to another share set, not to the one that wraps this data "
                             "store (was the root rotated since it was issued?)")
        if any(s.index == share.index for s in self._group):
            raise ShareError(f"share #{share.index + 1} was already entered")
        try:
            self._group.add(share)
        except MnemonicError as exc:
            raise ShareError(f"this share does not fit the ones entered ({exc})") from None
        return self.entered

    def combine(self) -> LocalKeyRoot:
        """The root rebuilt from the shares entered. The collector is emptied either way."""
        group, self._group = self._group, ShareGroup()
        try:
            key = recover_ems({0: group}).decrypt(b"")
        except MnemonicError:
            raise RootOfTrustError("the shares entered do not combine: at least one of them is wrong; "
                                   "progress was reset, enter the shares again") from None
        meta = {"set": self.set_id, "threshold": self.threshold, "shares": self.size}
        return LocalKeyRoot(NAME, key, meta=meta, wrong_key_hint=" (the shares are valid but not this data "
                                                                 "store's; progress was reset)")

    def reset(self) -> None:
        self._group = ShareGroup()
