"""Short, stable need IDs for verifications, and the check that no two collide.

A verification need's ID is what a reader meets on a recommendation card ("verified
by ..."), in the traceability matrix and in every export; the full pytest node ID or
twister scenario stays visible as the need's title. IDs are at most
:data:`MAX_GENERATED_ID` characters and depend on nothing but the verification itself,
so the same test has the same ID on every machine, in every run, whatever else the
result files hold and in whatever order they list it.

================  ==========================================  ===========================
kind              ID                                          example
================  ==========================================  ===========================
target test       ``TEST-ZT-`` + the scenario name, when it   ``TEST-ZT-CRYPTO-MBEDTLS``
                  fits; else its last words + a digest        ``TEST-ZT-USERSPACE-0C5E``
guide check       ``TEST-PY-`` + the test's last words +      ``TEST-PY-STACK-CANARIES-9A1F``
                  a digest of the node ID
build audit       ``TEST-AUDIT-`` + the recommendation's      ``TEST-AUDIT-DBG-SHELL``
                  suffix (given by the loader)
manual check      the ``id`` the YAML gives (``TEST-MAN-``)   ``TEST-MAN-USER-THREADS``
================  ==========================================  ===========================

Why this shape: a reviewer reads words, so each ID keeps as many words of what it
names as fit, the most specific ones (a scenario's last component, the symbol a
mission test checks). Words alone are not enough where they are not the whole name:
a node ID holds a file, a function and parameters that 32 characters cannot carry,
and any shortened form could be shared by a test written later, forcing one of the
two to be renamed. The four hex digits of the SHA-256 of the exact node ID (or
scenario name) make the ID a function of that one test, so adding a test never
renames another. A scenario name that fits is kept whole and needs no digest.

Two different verifications that still get one ID (a digest clash, or two scenario
names that differ only in case or punctuation) would merge into one need with one
result; :func:`id_collisions` reports that as the error ``verification-id-collision``
at both places, and the need keeps the first.

Build audits and manual checks are left as they are: one audit per recommendation is
named after it (at most ``TEST-AUDIT-`` plus the recommendation ID's length; a
second audit of the same recommendation is a collision too), and manual IDs are
chosen by the author (the loader reports a duplicate).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.items import ThreatModel, Verification

#: Longest ID generated for a guide check or a target test.
MAX_GENERATED_ID = 32
GUIDE_CHECK_PREFIX = "TEST-PY-"
TARGET_TEST_PREFIX = "TEST-ZT-"
#: Hex digits of the SHA-256 kept: with the words before them, enough to tell apart
#: the few tests that share their last words (a clash is reported, never merged silently).
DIGEST_LENGTH = 4


def slug(text: str) -> str:
    """Upper-case words joined by hyphens: ``net.socket_tcp`` -> ``NET-SOCKET-TCP``."""
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")


def _digest(ref: str) -> str:
    return hashlib.sha256(ref.encode("utf-8")).hexdigest()[:DIGEST_LENGTH].upper()


def _last_words(words: str, budget: int) -> str:
    """As many of the last hyphen-joined ``words`` as fit in ``budget`` characters."""
    kept: list[str] = []
    for word in reversed([w for w in words.split("-") if w]):
        if len("-".join([word, *kept])) > budget:
            break
        kept.insert(0, word)
    if not kept and words:  # one word longer than the budget: its start
        return words.split("-")[-1][:budget]
    return "-".join(kept)


def short_id(prefix: str, ref: str, words: str, *, whole: bool) -> str:
    """``prefix`` + ``words`` when ``whole`` (they are all of ``ref``) and they fit;
    else ``prefix`` + the last words that fit + ``-`` + a digest of ``ref``."""
    words = slug(words)
    if whole and words and len(prefix) + len(words) <= MAX_GENERATED_ID:
        return prefix + words
    budget = MAX_GENERATED_ID - len(prefix) - DIGEST_LENGTH - 1
    readable = _last_words(words, budget)
    return f"{prefix}{readable}-{_digest(ref)}" if readable else prefix + _digest(ref)


def guide_check_words(node_id: str) -> str:
    """The most specific words of a pytest node ID.

    For a parametrized test, the last ``/``-separated part of its parameter ID (the
    mission test's ``REC-X/SYMBOL`` gives the symbol); else the function name without
    ``test_``. File and class names are left to the digest.
    """
    name = node_id.rsplit("::", 1)[-1]
    function, bracket, params = name.partition("[")
    if bracket and params.rstrip("]").strip():
        return params.rstrip("]").rsplit("/", 1)[-1]
    return function.removeprefix("test_")


@functools.cache  # a pure function of the text, asked once per link to the test
def guide_check_id(node_id: str) -> str:
    """The need ID of the pytest test ``node_id`` (YAML ``pytest:`` entry or marker)."""
    return short_id(GUIDE_CHECK_PREFIX, node_id, guide_check_words(node_id), whole=False)


@functools.cache  # a pure function of the text, asked once per link to the test
def target_test_id(scenario: str) -> str:
    """The need ID of the twister scenario ``scenario`` as the YAML names it."""
    return short_id(TARGET_TEST_PREFIX, scenario, scenario, whole=True)


def verification_id(verification: Verification) -> str:
    """One test need per distinct verification target, shared by every item it verifies.

    Manual checks and build audits carry the ID the loader gave them; tests are
    named after their target, so two recommendations naming one scenario share it.
    """
    if verification.id:
        return verification.id
    if verification.kind == "guide-check":
        return guide_check_id(verification.ref)
    return target_test_id(verification.ref)


@dataclass(frozen=True, slots=True)
class _Named:
    """One verification target whose ID is derived, and where it is named."""

    kind: str
    ref: str
    need_id: str
    loc: SourceLoc


def _named(model: ThreatModel, marked_nodes: Iterable[str],
           marked_source: SourceLoc | None) -> list[_Named]:
    # manual IDs are the author's, checked by the loader (duplicate-id); a build audit's
    # is derived from its recommendation, so a second audit there would share it
    found = [_Named(v.kind, v.ref, verification_id(v), v.loc)
             for rec in model.recommendations for v in rec.verifications
             if v.kind != "manual-check"]
    where = marked_source or SourceLoc("")
    found += [_Named("guide-check", node, guide_check_id(node), where)
              for node in sorted(set(marked_nodes))]
    return found


def id_collisions(model: ThreatModel, marked: Mapping[str, Sequence[tuple[str, str]]]
                  | None = None, marked_source: SourceLoc | None = None) -> list[Diagnostic]:
    """An error for each verification whose generated ID an earlier, different one has.

    ``marked`` is :func:`secguide.trace.results.marked_tests` (recommendation ID ->
    (node ID, outcome)); those tests are located at ``marked_source``.
    """
    nodes = (node for tests in (marked or {}).values() for node, _outcome in tests)
    first: dict[str, _Named] = {}
    found = []
    for named in _named(model, nodes, marked_source):
        earlier = first.setdefault(named.need_id, named)
        if (earlier.kind, earlier.ref) == (named.kind, named.ref):
            continue
        fix = ("a recommendation has one build audit" if named.kind == "build-audit"
               else "rename one of the two tests")
        found.append(Diagnostic(
            named.loc, Severity.ERROR, Code.VERIFICATION_ID_COLLISION,
            f"{named.ref!r} gets the verification ID {named.need_id}, which "
            f"{earlier.ref!r} ({earlier.loc}) already has; they would merge into one "
            f"need: {fix}"))
    return found
