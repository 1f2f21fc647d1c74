"""Column headers: one name for one thing in every table the guide shows.

A reader who has learned that "Kconfig symbol" heads the column of symbols should find
it so on every page, never "Symbol" on one and "hardened.csv symbol" on another. Every
generator of a table takes its headers from here, and ``source/traceability.rst`` (whose
``needtable`` columns are reST text) uses the same words; ``tests/sphinx/
test_table_headers.py`` fails when a built table uses a header outside this vocabulary
or heads a column of one kind of content with another name.
"""

from __future__ import annotations

import re

# -- what a row is about ----------------------------------------------------------------
RECOMMENDATION = "Recommendation"
THREAT = "Threat"
VERIFICATION = "Verification"
#: a row that may be any reviewable item (recommendation, threat, clause, ...)
ITEM = "Item"
TITLE = "Title"

# -- facts of an item -------------------------------------------------------------------
#: the item's status in the threat model: draft, review, approved, deprecated
STATUS = "Status"
AREA = "Area"
#: the Working Group review state: reviewed, suspect, unreviewed
REVIEW = "Review"
LAST_REVIEW = "Last review"
WHY = "Why"
#: a verification's kind: guide check, build audit, target test, manual check
KIND = "Kind"
#: a verification's outcome (or, in a summary, the count of each outcome)
RESULT = "Result"
#: what a guide check runs: the case of a parametrized pytest test
CASE = "Case"
#: what a target test runs
SCENARIO = "Twister scenario"

# -- Kconfig ------------------------------------------------------------------------------
KCONFIG_SYMBOL = "Kconfig symbol"
#: the value a recommendation (or hardened.csv) asks for
VALUE = "Value"
#: the Kconfig type of the symbol in the tree
TYPE = "Type"
#: ``CONFIG_X=y`` lines, several per cell
KCONFIG_SETTINGS = "Kconfig settings"
#: whether a hardened.csv symbol is covered, waived, absent or uncovered
COVERAGE = "Coverage"
COVERED_BY = "Covered by / waiver"

# -- trace links (named as in the item cards) ----------------------------------------------
MITIGATES = "Mitigates"
MITIGATED_BY = "Mitigated by"
THREATENED_BY = "Threatened by"
IMPLEMENTED_BY = "Implemented by"
VERIFIED_BY = "Verified by"
VERIFIES = "Verifies"
ADDRESSED_BY = "Addressed by"

# -- Zephyr's hardening database -----------------------------------------------------------
UPSTREAM_VALUE = "Upstream value"
GUIDE_VALUE = "Guide value"
ALSO_ACCEPTED = "Also accepted by the guide"
UPSTREAM_PROFILE = "Upstream profile"
GUIDE_PROFILE = "Guide profile"
PROFILES = "Profiles"
RULE = "Rule"

# -- board targets ----------------------------------------------------------------------------
ARCHITECTURE = "Architecture"
SOC_SERIES = "SoC series"
TARGETS = "Targets"
#: one column per verdict (see ``secguide.trace.boards.VERDICTS``), counting targets
VERDICT = {
    "default": "Already the default",
    "available": "Available",
    "needs": "Needs other settings too",
    "devicetree": "Depends on devicetree",
    "unavailable": "Unavailable",
    "inactive": "Needs its subsystem",
    "not-applicable": "Not applicable",
}
#: recommendations that are available or need other settings (a median per SoC series)
CAN_BE_SET = "Can be set"
#: not applicable to the target, or only once the product enables the subsystem
OUT_OF_SCOPE = "Out of scope"
WHY_NOT = "Why not (targets)"

# -- summaries ------------------------------------------------------------------------------
MEASURE = "Measure"
COUNT = "Count"

#: Every fixed header.
VOCABULARY: frozenset[str] = frozenset(
    value for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str)) | frozenset(VERDICT.values())

#: A per-architecture column of the boards matrix: the architecture and its target count.
ARCHITECTURE_COLUMN = re.compile(r"^[a-z0-9_]+ \(\d+\)$")


def architecture_column(arch: str, targets: int) -> str:
    """``arm (842)``: on how many of an architecture's targets (in the header)."""
    return f"{arch} ({targets})"


def is_known(header: str) -> bool:
    """True when ``header`` is in the vocabulary (or an architecture column)."""
    return header in VOCABULARY or ARCHITECTURE_COLUMN.match(header) is not None
