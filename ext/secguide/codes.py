"""The one catalogue of diagnostic codes: every finding secguide reports has a code here.

The CLI prints the code after each finding (``[unknown-symbol]``); the guide build
uses it as the warning subtype, so ``suppress_warnings = ["secguide.<code>"]``
silences one kind in ``conf.py``. ``secguide check --list-codes`` and the guide's
"Diagnostic codes" page are rendered from :data:`CATALOGUE`.

To add a check: add a :class:`Code` member and its :class:`CodeInfo` row, compute
the finding in ``secguide.trace`` (so ``check`` and the build both see it), and
test it. :class:`~secguide.diagnostics.Diagnostic` refuses an unregistered code.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Code(enum.StrEnum):
    """Diagnostic codes; the value is what users see and suppress."""

    # -- reading the YAML files (model/)
    NO_FILES = "no-files"
    UNREADABLE = "unreadable"
    EMPTY_FILE = "empty-file"
    YAML_SYNTAX = "yaml-syntax"
    YAML_KEY = "yaml-key"
    YAML_VALUE = "yaml-value"
    YAML_LIMIT = "yaml-limit"
    DUPLICATE_KEY = "duplicate-key"
    NOT_A_MAPPING = "not-a-mapping"
    UNKNOWN_FIELD = "unknown-field"
    MISSING_FIELD = "missing-field"
    WRONG_TYPE = "wrong-type"
    BAD_VALUE = "bad-value"
    BAD_SETTING = "bad-setting"
    BAD_VERIFICATION = "bad-verification"
    BAD_DEPRECATION = "bad-deprecation"
    SCHEMA = "schema"
    DUPLICATE_SCOPE = "duplicate-scope"
    DUPLICATE_ID = "duplicate-id"
    DUPLICATE_PROFILE = "duplicate-profile"
    # -- the model's own references (trace/validate)
    UNKNOWN_ID = "unknown-id"
    WRONG_LINK = "wrong-link"
    UNKNOWN_VERIFIED_SETTING = "unknown-verified-setting"
    NO_MITIGATION = "no-mitigation"
    NO_ASSET = "no-asset"
    ASSET_UNTHREATENED = "asset-unthreatened"
    NO_SETTING = "no-setting"
    NO_VERIFICATION = "no-verification"
    APPROVED_WITHOUT_REVIEW = "approved-without-review"
    APPROVED_BUT_CHANGED = "approved-but-changed"
    UNAUTHORISED_STAMP = "unauthorised-stamp"
    STAMP_NOT_VERIFIED = "stamp-not-verified"
    MITIGATES_NOTHING = "mitigates-nothing"
    CLAUSE_MET_BY = "clause-met-by"
    DEPRECATED_LINK = "deprecated-link"
    RECOMMENDATION_NOT_SHOWN = "recommendation-not-shown"
    UNKNOWN_PROFILE = "unknown-profile"
    PROFILE_CYCLE = "profile-cycle"
    UNSAFE_MARKUP = "unsafe-markup"
    UNSAFE_TEXT = "unsafe-text"
    UNSAFE_PATH = "unsafe-path"
    # -- a product model on top of the guide (model/product_model, trace/product)
    PRODUCT_MODEL = "product-model"
    UNKNOWN_GUIDE_ITEM = "unknown-guide-item"
    GUIDE_OVERRIDE = "guide-override"
    UNDECLARED_OVERRIDE = "undeclared-override"
    GUIDE_ITEM_CHANGED = "guide-item-changed"
    UNRECORDED_GUIDE_FINGERPRINT = "unrecorded-guide-fingerprint"
    # -- settings against the Kconfig tree (trace/validate, trace/text_symbols)
    UNKNOWN_SYMBOL = "unknown-symbol"
    UNKNOWN_SYMBOL_TEXT = "unknown-symbol-text"
    INVALID_VALUE = "invalid-value"
    OUT_OF_RANGE = "out-of-range"
    UNTYPED_SYMBOL = "untyped-symbol"
    NO_PROMPT = "no-prompt"
    DEPRECATED_SYMBOL = "deprecated-symbol"
    UNKNOWN_SUCCESSOR = "unknown-successor"
    LATER_RELEASE_SYMBOL = "later-release-symbol"
    SINCE_TOO_LATE = "since-too-late"
    SCOPE_SYNTAX = "scope-syntax"
    UNKNOWN_SCOPE_SYMBOL = "unknown-scope-symbol"
    PROFILE_CONFLICT = "profile-conflict"
    BAD_ALTERNATIVE = "bad-alternative"
    PROSE_CLAIM = "prose-claim"
    FACTS_CHECKED_AGAINST = "facts-checked-against"
    STALE_ACCEPTED_CONFLICT = "stale-accepted-conflict"
    # -- verifications against the tree and this project's tests (zephyr/scenarios)
    SCENARIO_FILE_UNREADABLE = "scenario-file-unreadable"
    UNKNOWN_TEST_SCENARIO = "unknown-test-scenario"
    AMBIGUOUS_TEST_SCENARIO = "ambiguous-test-scenario"
    UNKNOWN_PYTEST_NODE = "unknown-pytest-node"
    # -- coverage inputs (trace/coverage)
    NO_HARDENED_CSV = "no-hardened-csv"
    HARDENED_CSV_LINE = "hardened-csv-line"
    UNKNOWN_VERIFIED_ID = "unknown-verified-id"
    RESULTS_OTHER_RELEASE = "results-other-release"
    PRODUCT_MISMATCH = "product-mismatch"
    VERIFICATION_ID_COLLISION = "verification-id-collision"
    # -- the guide's pages (sphinx/ only: they concern .rst pages and conf.py, not the model)
    CONFIG = "config"
    NO_KCONFIG_REFERENCE = "no-kconfig-reference"
    DUPLICATE_ITEM = "duplicate-item"
    ITEM_NOT_SHOWN = "item-not-shown"
    BAD_OPTION = "bad-option"
    NEED = "need"
    # -- build outputs read by commands (zephyr/dotconfig)
    DOTCONFIG_MALFORMED = "dotconfig.malformed"
    DOTCONFIG_DUPLICATE = "dotconfig.duplicate"
    DOTCONFIG_MIXED_PREFIX = "dotconfig.mixed-prefix"
    DOTCONFIG_EMPTY = "dotconfig.empty"
    DOTCONFIG_UNSAFE_TEXT = "dotconfig.unsafe-text"
    # -- Zephyr's hardening.yaml database (model/hardening_db)
    HARDENING_UNREADABLE = "hardening.unreadable"
    HARDENING_TOO_LARGE = "hardening.too-large"
    HARDENING_YAML = "hardening.yaml"
    HARDENING_DUPLICATE_KEY = "hardening.duplicate-key"
    HARDENING_SCHEMA = "hardening.schema"
    HARDENING_PROFILE_OUTSIDE_CENTRAL = "hardening.profile-outside-central"
    HARDENING_DUPLICATE_PROFILE = "hardening.duplicate-profile"
    HARDENING_DUPLICATE_RULE = "hardening.duplicate-rule"
    HARDENING_UNKNOWN_PROFILE = "hardening.unknown-profile"
    HARDENING_PROFILE_CYCLE = "hardening.profile-cycle"
    # -- a product's waivers file (model/product_waivers, secguide audit --waivers)
    WAIVERS = "waivers"


class Scope(enum.Enum):
    """Who can see a finding: both faces (from the model and tree) or only the build."""

    MODEL = "model"
    GUIDE = "guide"
    DOTCONFIG = "dotconfig"
    HARDENING = "hardening"
    WAIVERS = "waivers"

    @property
    def reported_by(self) -> str:
        return {Scope.MODEL: "check and build", Scope.GUIDE: "build only",
                Scope.DOTCONFIG: ".config readers",
                Scope.HARDENING: "hardening.yaml readers",
                Scope.WAIVERS: "audit --waivers"}[self]


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: Code
    scope: Scope
    summary: str


def _model(code: Code, summary: str) -> CodeInfo:
    return CodeInfo(code, Scope.MODEL, summary)


def _guide(code: Code, summary: str) -> CodeInfo:
    return CodeInfo(code, Scope.GUIDE, summary)


#: One row per code, in the order of :class:`Code`.
CATALOGUE: Mapping[Code, CodeInfo] = {row.code: row for row in (
    _model(Code.NO_FILES, "The threat-model folder holds no *.yaml file."),
    _model(Code.UNREADABLE, "A threat-model file cannot be read (permissions, encoding)."),
    _model(Code.EMPTY_FILE, "A threat-model file is empty."),
    _model(Code.YAML_SYNTAX, "A threat-model file is not valid YAML."),
    _model(Code.YAML_KEY, "A mapping key is not a plain string."),
    _model(Code.YAML_VALUE, "A scalar cannot be read as a YAML value."),
    _model(Code.YAML_LIMIT, "A file exceeds a limit against hostile YAML (size, nesting, "
                            "aliases, expansion, scalar length); see README."),
    _model(Code.DUPLICATE_KEY, "A mapping names the same key twice."),
    _model(Code.NOT_A_MAPPING, "A file's top level is not a mapping of sections."),
    _model(Code.UNKNOWN_FIELD, "A field the schema does not define (often a typo)."),
    _model(Code.MISSING_FIELD, "A required field is missing."),
    _model(Code.WRONG_TYPE, "A value has the wrong type (text, number, list, mapping)."),
    _model(Code.BAD_VALUE, "A value is outside its allowed set or pattern, or empty."),
    _model(Code.BAD_SETTING, "A setting gives neither or both of 'value' and 'min'/'max'."),
    _model(Code.BAD_VERIFICATION, "A verification entry does not name exactly one kind."),
    _model(Code.BAD_DEPRECATION, "'deprecated' block and status 'deprecated' disagree."),
    _model(Code.SCHEMA, "Any other violation of the threat-model JSON Schema."),
    _model(Code.DUPLICATE_SCOPE, "Two files each define the 'scope' section."),
    _model(Code.DUPLICATE_ID, "Two items share one ID."),
    _model(Code.DUPLICATE_PROFILE, "Two profiles share one name."),
    _model(Code.UNKNOWN_ID, "A link names an ID no item defines."),
    _model(Code.WRONG_LINK, "A link names an item of a kind that cannot be linked there."),
    _model(Code.UNKNOWN_VERIFIED_SETTING,
           "A verification's 'setting' is not one of its recommendation's settings."),
    _model(Code.NO_MITIGATION, "A threat lists nothing in 'mitigated_by'."),
    _model(Code.NO_ASSET, "A threat lists nothing in 'assets' while the model declares "
           "assets (a model without assets is not asked for them)."),
    _model(Code.ASSET_UNTHREATENED, "No threat lists an asset in 'assets': what endangers it "
           "is unknown, so its protection cannot be decided."),
    _model(Code.NO_SETTING, "A current recommendation names no Kconfig setting."),
    _model(Code.NO_VERIFICATION, "A current recommendation has no verification."),
    _model(Code.APPROVED_WITHOUT_REVIEW,
           "An item says status: approved but carries no review stamp."),
    _model(Code.APPROVED_BUT_CHANGED,
           "An approved item, or a symbol or link it relies on, changed since its review."),
    _model(Code.UNAUTHORISED_STAMP,
           "A review stamp was committed by nobody on the model's reviewers list, and no "
           "listed reviewer signed the commit off (git history of the stamp's lines)."),
    _model(Code.STAMP_NOT_VERIFIED,
           "Who committed a review stamp cannot be told: outside git, a shallow clone, or "
           "not committed yet (a note, never 'verified')."),
    _model(Code.MITIGATES_NOTHING, "No threat lists a current recommendation as mitigation."),
    _model(Code.CLAUSE_MET_BY, "A standard clause's 'met_by' contradicts what it links: "
           "configuration without a recommendation, product without a responsibility, "
           "not-applicable with recommendations."),
    _model(Code.DEPRECATED_LINK, "A standard clause relies on a deprecated recommendation."),
    _model(Code.RECOMMENDATION_NOT_SHOWN,
           "No page's secguide-recommendations directive selects a recommendation."),
    _model(Code.UNKNOWN_PROFILE, "A profile name (in 'extends' or 'profiles') is not declared."),
    _model(Code.PROFILE_CYCLE, "A profile extends itself through its 'extends' chain."),
    _model(Code.UNSAFE_MARKUP,
           "Prose uses markup prose may not use (file insertion, raw, unsafe link scheme)."),
    _model(Code.UNSAFE_TEXT,
           "Text holds a control character (C0 but tab and newline, DEL, C1, bidi controls)."),
    _model(Code.UNSAFE_PATH,
           "A path leaves the project (absolute, '..', a device, a symlink out of its folder)."),
    _model(Code.PRODUCT_MODEL, "A product model's extends.yaml is malformed (field, date)."),
    _model(Code.UNKNOWN_GUIDE_ITEM,
           "extends.yaml selects, waives or overrides an item the guide does not define."),
    _model(Code.GUIDE_OVERRIDE,
           "A product item replaces the guide's item of its ID, as extends.yaml declares."),
    _model(Code.UNDECLARED_OVERRIDE,
           "A product item, profile or scope replaces the guide's without a declared override."),
    _model(Code.GUIDE_ITEM_CHANGED, "A guide item the product overrides or waives changed "
           "since the override or waiver was recorded (its fingerprint differs)."),
    _model(Code.UNRECORDED_GUIDE_FINGERPRINT,
           "An override or waiver records no fingerprint of the guide item it concerns."),
    _model(Code.UNKNOWN_SYMBOL, "A setting or waiver names a symbol the tree does not define."),
    _model(Code.UNKNOWN_SYMBOL_TEXT,
           "CONFIG_ text in YAML prose or a page names a symbol the tree does not define."),
    _model(Code.INVALID_VALUE, "A value the symbol's type cannot hold."),
    _model(Code.OUT_OF_RANGE, "A number outside the symbol's Kconfig range."),
    _model(Code.UNTYPED_SYMBOL, "The symbol has no type in this tree; its value is unchecked."),
    _model(Code.NO_PROMPT, "The symbol has no prompt: prj.conf cannot set it."),
    _model(Code.DEPRECATED_SYMBOL, "The tree marks the recommended symbol deprecated."),
    _model(Code.UNKNOWN_SUCCESSOR, "A 'replaced_by' symbol does not exist in the tree."),
    _model(Code.LATER_RELEASE_SYMBOL,
           "Note: a setting's symbol comes with a later release ('since'); not checked here."),
    _model(Code.SINCE_TOO_LATE, "A setting's symbol exists before the release 'since' names."),
    _model(Code.SCOPE_SYNTAX,
           "A recommendation's applies_to.when is not a Kconfig expression (or uses CONFIG_)."),
    _model(Code.UNKNOWN_SCOPE_SYMBOL,
           "A recommendation's applies_to.when names a symbol the tree does not define."),
    _model(Code.PROFILE_CONFLICT,
           "Two settings of one profile cannot hold together: a select, a depends on, one "
           "choice or one symbol makes one of them fail (named, with the chain)."),
    _model(Code.BAD_ALTERNATIVE,
           "A setting's alternative is itself, or not a member of the setting's choice."),
    _model(Code.PROSE_CLAIM,
           "Prose states a default, select, dependency or range the tree contradicts "
           "(recognised wordings: README); the message gives the tree's answer and the role."),
    _model(Code.FACTS_CHECKED_AGAINST,
           "Note: a recommendation's checked_against names another release than the tree's: "
           "its prose may be stale there."),
    _model(Code.STALE_ACCEPTED_CONFLICT,
           "An accepted_conflicts entry names a recommendation it no longer conflicts with."),
    _model(Code.SCENARIO_FILE_UNREADABLE,
           "A testcase.yaml/sample.yaml of the tree cannot be read; its scenarios are skipped."),
    _model(Code.UNKNOWN_TEST_SCENARIO, "A zephyr_test names no twister scenario of the tree."),
    _model(Code.AMBIGUOUS_TEST_SCENARIO, "A zephyr_test name matches several scenarios."),
    _model(Code.UNKNOWN_PYTEST_NODE, "A pytest verification names no test of this project."),
    _model(Code.NO_HARDENED_CSV, "The tree has no hardened.csv; its coverage is not computed."),
    _model(Code.HARDENED_CSV_LINE, "A line of the tree's hardened.csv cannot be read."),
    _model(Code.UNKNOWN_VERIFIED_ID,
           "A test result is marked verifies() with an ID that is not a recommendation."),
    _model(Code.RESULTS_OTHER_RELEASE,
           "A twister.json ran on another Zephyr release (major.minor.patchlevel) than "
           "the tree's, or names none."),
    _model(Code.PRODUCT_MISMATCH,
           "A product declaration names another board target or Zephyr release than the "
           "build it comes with states."),
    _model(Code.VERIFICATION_ID_COLLISION,
           "Two different tests (pytest node IDs or twister scenarios), or two build audits "
           "of one recommendation, get the same verification ID; they would merge."),
    _guide(Code.CONFIG, "A secguide_* value in conf.py is invalid."),
    _guide(Code.NO_KCONFIG_REFERENCE,
           "A page uses a Kconfig role, but no page holds the kconfig:reference directive."),
    _guide(Code.DUPLICATE_ITEM, "Two directives render the same item; each is shown once."),
    _guide(Code.ITEM_NOT_SHOWN,
           "No directive renders an item (recommendations: recommendation-not-shown)."),
    _guide(Code.BAD_OPTION, "A directive option names an unknown area, status or similar."),
    _guide(Code.NEED, "sphinx-needs refused a need built from the model."),
    CodeInfo(Code.DOTCONFIG_MALFORMED, Scope.DOTCONFIG,
             "A .config line is not an assignment, a 'not set' comment or a comment."),
    CodeInfo(Code.DOTCONFIG_DUPLICATE, Scope.DOTCONFIG,
             "A .config assigns one symbol twice; the last assignment wins."),
    CodeInfo(Code.DOTCONFIG_MIXED_PREFIX, Scope.DOTCONFIG,
             "A .config mixes CONFIG_ and SB_CONFIG_ assignments."),
    CodeInfo(Code.DOTCONFIG_EMPTY, Scope.DOTCONFIG, "A .config assigns no symbol at all."),
    CodeInfo(Code.DOTCONFIG_UNSAFE_TEXT, Scope.DOTCONFIG,
             "A .config line holds a control character (the line is not read)."),
    CodeInfo(Code.HARDENING_UNREADABLE, Scope.HARDENING, "A hardening.yaml cannot be read."),
    CodeInfo(Code.HARDENING_TOO_LARGE, Scope.HARDENING,
             "A hardening.yaml is larger than any real one (1 MiB); not read."),
    CodeInfo(Code.HARDENING_YAML, Scope.HARDENING,
             "A hardening.yaml is empty or not valid YAML."),
    CodeInfo(Code.HARDENING_DUPLICATE_KEY, Scope.HARDENING,
             "A hardening.yaml mapping names the same key twice."),
    CodeInfo(Code.HARDENING_SCHEMA, Scope.HARDENING,
             "A hardening.yaml violates upstream's hardening-schema.yaml."),
    CodeInfo(Code.HARDENING_PROFILE_OUTSIDE_CENTRAL, Scope.HARDENING,
             "A fragment declares profiles; only the central file may."),
    CodeInfo(Code.HARDENING_DUPLICATE_PROFILE, Scope.HARDENING,
             "Two files declare the same profile."),
    CodeInfo(Code.HARDENING_DUPLICATE_RULE, Scope.HARDENING,
             "Two in-tree files rule on the same symbol."),
    CodeInfo(Code.HARDENING_UNKNOWN_PROFILE, Scope.HARDENING,
             "A rule or 'extends' names a profile the database does not declare."),
    CodeInfo(Code.HARDENING_PROFILE_CYCLE, Scope.HARDENING,
             "A hardening profile extends itself through its 'extends' chain."),
    CodeInfo(Code.WAIVERS, Scope.WAIVERS,
             "A product waivers file entry is incomplete or malformed (field, date)."),
)}


def describe(code: str) -> CodeInfo | None:
    """The catalogue row of ``code``, or None when it is not registered."""
    try:
        return CATALOGUE[Code(code)]
    except ValueError:
        return None


def format_catalogue() -> str:
    """``code  reported-by  summary`` lines, for ``secguide check --list-codes``."""
    width = max(len(code.value) for code in CATALOGUE)
    scope_width = max(len(scope.reported_by) for scope in Scope)
    return "\n".join(f"{info.code.value:<{width}}  {info.scope.reported_by:<{scope_width}}  "
                     f"{info.summary}" for info in CATALOGUE.values())
