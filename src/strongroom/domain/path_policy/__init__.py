"""HashiCorp Vault / OpenBao ACL policies: parse once (HCL or JSON), merge, evaluate many times.

A policy is a list of path rules::

    path "transit/encrypt/orders" { capabilities = ["update"] }
    path "transit/keys/*"        { capabilities = ["create", "read", "update", "delete", "list"] }
    path "transit/+/orders"      { capabilities = ["read"] }
    path "secret/private"        { capabilities = ["deny"] }

or, as JSON, ``{"path": {"transit/keys/*": {"capabilities": ["read"]}}}``. The semantics follow Vault's
``vault/policy.go`` (parsing) and ``vault/acl.go`` (``NewACL``, ``AllowOperation``,
``CheckAllowedFromNonExactPaths``) and the "Policies" page of the Vault documentation.

Path patterns (one leading ``/`` is dropped, as Vault does):

* exact: ``transit/keys/orders`` matches only that path. A ``*`` that is not the last character is literal.
* glob: a trailing ``*`` makes the rest a prefix: ``transit/keys/*`` matches ``transit/keys/`` and everything
  under it, ``transit/ke*`` matches ``transit/keys/x`` too.
* segment wildcard: a ``+`` segment matches exactly one segment (any text, even empty) anywhere; it may be
  combined with a trailing ``*`` (``transit/+/ord*``). As in Vault, a pattern counts as having segment
  wildcards when it is ``+``, starts with ``+/`` or contains ``/+``; ``+*`` is refused.

Merging: every rule of every policy attached to a token is folded into one rule per distinct pattern (exact,
glob and segment-wildcard patterns are keyed separately, exactly as Vault's three tables). Capabilities are the
union, except that ``deny`` on any of the merged rules leaves only ``deny``. Parameter constraints merge as in
Vault: per key the value lists are concatenated, and an empty list (``any value``) on either side wins; required
parameters are the union; for the wrapping TTLs the smaller bound of each kind is kept.

Which rule decides for a request path (Vault ``AllowOperation``):

1. an exact rule for the path;
2. for ``list`` only: an exact rule for the path without one trailing ``/``, then the wildcard rules matched
   against the path without that ``/``;
3. otherwise the highest-priority glob or segment-wildcard rule that matches. Vault's priority order
   (``CheckAllowedFromNonExactPaths`` in ``vault/acl.go``; the "Priority matching" list of the Policies docs),
   comparing two matching patterns P1 and P2, P1 loses when, in this order:

   a. the first wildcard (``+``) or glob (``*``) comes earlier in P1 (for a glob, at its position; for a
      segment-wildcard pattern, at its first ``+``);
   b. P1 ends in ``*`` and P2 does not;
   c. P1 has more ``+`` segments;
   d. P1 is shorter (the trailing ``*`` not counted);
   e. P1 is smaller lexicographically (a tie breaker only).

   So ``foo/a*`` beats ``foo/+``, ``foo/bar/+/baz`` beats ``foo/+/bar/baz``, ``foo/+/bar`` beats ``foo/+/ba*``,
   ``foo/+`` beats ``foo/*``, ``foo/bar/+/baz`` beats ``foo/+/+/baz`` and ``foo/+/bar/ba*`` beats
   ``foo/+/bar/b*``. The order depends on the patterns only, so :class:`Acl` sorts once and takes the first
   match.

Only the winning rule counts: a ``deny`` on a less specific rule does not refuse a path that a more specific
rule grants (that is Vault's behaviour), while a ``deny`` merged into the winning rule refuses everything.

The policy named ``root`` grants everything; it has no document (Vault refuses to store one, and so does
:func:`parse_path_policy`). ``default`` is an ordinary policy whose document the caller supplies.

Parameters (``allowed_parameters``, ``denied_parameters``, ``required_parameters``) are enforced for the
``create``, ``read``, ``update`` and ``patch`` capabilities, as Vault does (not for ``list``, ``delete`` or
``sudo``), following ``AllowOperation``: every required parameter must be present (names compared
lower-cased); a request without parameters is then allowed; ``denied_parameters = {"*" = []}`` refuses any
parameter; a parameter whose lower-cased name is denied is refused when its value is in the denied list;
with ``allowed_parameters``, every parameter must be allowed by name (or ``*``) and its value must be in the
allowed list. A value list that is empty matches any value. Policy strings match request strings with one
leading and/or trailing ``*`` glob; other values must be equal (numbers by value, booleans only to booleans).
A list value, or a string value read as a comma-separated list (items trimmed, ``""`` being the empty list),
is allowed when every item is allowed and denied when any item is denied. ``min_wrapping_ttl`` and
``max_wrapping_ttl`` (seconds, or a Go duration such as ``"1h30m"`` or ``"2d"``) require the request to be
response-wrapped with a TTL within the bounds.

Refused, with :class:`~strongroom.errors.MalformedPolicyError`: unparseable HCL/JSON, a document that is not
an object, unknown keys, a path without capabilities, unknown capability names, wrongly typed values,
templated paths (``{{identity...}}``), JSON-pointer parameter names (``/a/b``) and the Vault Enterprise keys
``mfa_methods``, ``control_group`` and ``subscribe_event_types``, which would add requirements that this
module cannot enforce. Vault's legacy ``policy = "read" | "write" | "sudo" | "deny"`` is accepted.
"""

from strongroom.domain.path_policy.acl import Acl
from strongroom.domain.path_policy.parsing import parse_path_policy
from strongroom.domain.path_policy.rules import (
    DEFAULT_POLICY,
    ROOT_PATH_POLICY,
    ROOT_POLICY,
    Capability,
    PathPolicy,
    PathRule,
    is_root,
)

__all__ = [
    "DEFAULT_POLICY",
    "ROOT_PATH_POLICY",
    "ROOT_POLICY",
    "Acl",
    "Capability",
    "PathPolicy",
    "PathRule",
    "is_root",
    "parse_path_policy",
]
