"""Audit results as files people and tools read: text, markdown, JSON, JUnit, SARIF, hardenconfig.

Each renderer takes the frozen :class:`~secguide.trace.audit.AuditSummary` and
returns text; none of them judges anything. What a report claims is exactly
what the audit found: a PASS says "the .config has the recommended value", not
that the product is secure.

- ``text`` / ``md``: jinja2 templates (``templates/audit.*.j2``), the markdown
  meant for a pull-request comment; untrusted values are made inert there.
- ``json``: every result with its reason, ``.config`` line and rule source.
- ``junit``: one ``<testcase>`` per rule and build: a ``failure`` on FAIL, an ``error`` on
  UNKNOWN (the check could not be made), ``skipped`` on NOT-APPLICABLE and WAIVED, each
  typed with its verdict; classnames carry no dot of the build's own (JUnit readers split there).
- ``sarif``: SARIF 2.1.0 for code-scanning uploads: only FAIL, WAIVED (an accepted
  suppression) and UNKNOWN are results unless ``--all``; each at its ``.config`` line
  (relative to ``%SRCROOT%``, the working directory), with a stable partial fingerprint;
  rules carry the recommendation text, CWE tags (``external/cwe/cwe-N``) and a ``helpUri``.
- ``hardenconfig-json``: Zephyr's ``HARDENCONFIG_JSON`` report, keys with upstream's
  meanings (see :func:`hardenconfig_report`).
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from secguide import __version__
from secguide.diagnostics import SecguideError
from secguide.model.product_items import ProductInfo
from secguide.templates import render
from secguide.trace.audit import AuditRule, AuditSummary, BuildAudit, RuleResult, Verdict

FORMATS = ("text", "json", "md", "junit", "sarif", "hardenconfig-json")
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://docs.zephyrproject.org/latest/security/index.html"
KCONFIG_REFERENCE_URI = "https://docs.zephyrproject.org/latest/kconfig.html"
SARIF_ROOT = "%SRCROOT%"
FINGERPRINT_KEY = "secguideFinding/v1"
#: Verdicts that need no one's attention: SARIF leaves them out unless asked (--all).
SARIF_QUIET = (Verdict.PASS, Verdict.NOT_APPLICABLE)

_SARIF_KIND = {Verdict.PASS: "pass", Verdict.FAIL: "fail", Verdict.WAIVED: "fail",
               Verdict.NOT_APPLICABLE: "notApplicable", Verdict.UNKNOWN: "review"}


@dataclass(frozen=True, slots=True)
class VerdictGroup:
    """Results of one kind, as a report lists them: what needs doing first."""

    label: str
    meaning: str
    results: tuple[RuleResult, ...]


def verdict_groups(audit: BuildAudit, show_all: bool = False) -> tuple[VerdictGroup, ...]:
    """FAIL, WAIVED, UNKNOWN about this build, UNKNOWN because the symbol comes with a later
    release (structural: it says nothing about the build), then with ``show_all`` N/A, PASS."""

    def having(verdict: Verdict, later_release: bool = False) -> tuple[RuleResult, ...]:
        return tuple(r for r in audit.results
                     if r.verdict is verdict and r.later_release is later_release)

    groups = [
        VerdictGroup("FAIL", "the build does not have the recommended value; the prj.conf "
                     "line fixes it", having(Verdict.FAIL)),
        VerdictGroup("WAIVED", "failing, accepted by a product waiver", having(Verdict.WAIVED)),
        VerdictGroup("UNKNOWN", "could not be judged from this build",
                     having(Verdict.UNKNOWN)),
        VerdictGroup("UNKNOWN, later release", "symbols a later Zephyr release brings than "
                     "the tree; the build's release is not known", having(Verdict.UNKNOWN, True)),
    ]
    if show_all:
        groups += [VerdictGroup("NOT-APPLICABLE", "the build cannot have the setting",
                                having(Verdict.NOT_APPLICABLE)),
                   VerdictGroup("PASS", "set as recommended", having(Verdict.PASS))]
    return tuple(groups)


def _common(summary: AuditSummary) -> dict[str, Any]:
    first = summary.audits[0] if summary.audits else None
    return {"audits": summary.audits, "refused": summary.refused, "skipped": summary.skipped,
            "V": Verdict, "groups": verdict_groups,
            "profile": first.profile if first else "", "rules_from": first.rules_from if first
            else "", "tree_version": first.tree_version if first else ""}


def render_text(summary: AuditSummary, *, show_all: bool = False,
                product: ProductInfo | None = None) -> str:
    return render("audit.txt.j2", show_all=show_all, product=product, **_common(summary))


def render_markdown(summary: AuditSummary) -> str:
    hidden = (Verdict.PASS, Verdict.NOT_APPLICABLE)
    return render("audit.md.j2", hidden=hidden, **_common(summary))


def _result_dict(result: RuleResult) -> dict[str, Any]:
    rule = result.rule
    # a product model's recommendations say where they come from
    origin = {"item_origin": rule.item_origin} if rule.item_origin else {}
    return {**origin,
        "id": rule.id, "origin": rule.origin, "symbol": f"CONFIG_{rule.symbol}",
        "expected": rule.expected_text, "value": rule.value, "min": rule.minimum,
        "max": rule.maximum, "result": result.verdict.value, "actual": result.actual,
        "found_as": f"CONFIG_{result.found_as}" if result.found_as else None,
        "config_line": result.config_loc.line if result.config_loc else None,
        "reason": result.reason, "references": list(rule.references),
        "profiles": list(rule.profiles), "source": str(rule.loc),
        "waiver": None if result.waiver is None else {
            "reason": result.waiver.reason, "approver": result.waiver.approver,
            "expires": result.waiver.expires.isoformat(), "source": str(result.waiver.loc)},
    }


def _audit_dict(audit: BuildAudit) -> dict[str, Any]:
    return {
        "config": audit.config_path, "board": audit.board, "board_target": audit.board_target,
        "arch": audit.arch, "profile": audit.profile, "rules": audit.rules_from,
        "build_kind": audit.build_kind, "tree_version": audit.tree_version,
        "build_version": audit.build_version,
        "counts": audit.counts, "notes": list(audit.notes),
        "config_findings": [d.as_dict() for d in audit.config_diagnostics],
        "results": [_result_dict(r) for r in audit.results],
    }


def render_json(summary: AuditSummary, product: ProductInfo | None = None) -> str:
    data = {"tool": f"secguide {__version__}",
            **({"product": {"name": product.name, "guide": product.guide_version,
                            "profile": product.profile}} if product is not None else {}),
            "builds": [_audit_dict(a) for a in summary.audits],
            "refused": [{"path": path, "reason": why} for path, why in summary.refused],
            "skipped": [{"path": path, "reason": why} for path, why in summary.skipped],
            "failed": summary.failed}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


#: JUnit elements by verdict: a FAIL fails, an UNKNOWN is an error (the check could not be
#: carried out, which a dashboard must not show as skipped), N/A and WAIVED are skipped.
_JUNIT_ELEMENT = {Verdict.FAIL: "failure", Verdict.UNKNOWN: "error",
                  Verdict.NOT_APPLICABLE: "skipped", Verdict.WAIVED: "skipped"}


def junit_classname(audit: BuildAudit) -> str:
    """``secguide.audit.<build>``: JUnit readers split a classname at its last dot into
    package and class, so the build's own label keeps no dot (``nrf9160dk@0_14_0/...``)."""
    label = audit.board_target or audit.board or PurePosixPath(audit.config_path).parent.name
    return "secguide.audit." + (label or "build").replace(".", "_")


def render_junit(summary: AuditSummary) -> str:
    suites = ET.Element("testsuites", name="secguide audit")
    for audit in summary.audits:
        counts = {kind: sum(1 for r in audit.results if _JUNIT_ELEMENT.get(r.verdict) == kind)
                  for kind in ("failure", "error", "skipped")}
        suite = ET.SubElement(suites, "testsuite", name=audit.config_path,
                              tests=str(len(audit.results)), failures=str(counts["failure"]),
                              errors=str(counts["error"]), skipped=str(counts["skipped"]))
        properties = ET.SubElement(suite, "properties")
        for name, value in (("board", audit.board_target or audit.board),
                            ("profile", audit.profile), ("rules", audit.rules_from),
                            ("build kind", audit.build_kind),
                            ("tree", f"Zephyr {audit.tree_version}"),
                            ("build release", audit.build_version)):
            if value:
                ET.SubElement(properties, "property", name=name, value=value)
        classname = junit_classname(audit)
        for result in audit.results:
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=f"{result.rule.id} CONFIG_{result.rule.symbol}")
            element = _JUNIT_ELEMENT.get(result.verdict)
            if element is None:
                continue
            detail = ET.SubElement(case, element, type=result.verdict.value,
                                   message=f"{result.verdict.value}: {result.reason}")
            if element != "skipped":
                actual = result.actual if result.actual is not None else "not in .config"
                detail.text = f"expected {result.rule.expected_text}, actual {actual}" + (
                    f"\nfix in prj.conf: {result.fix_line}" if result.fix_line else "")
    for path, why in summary.refused:
        suite = ET.SubElement(suites, "testsuite", name=path, tests="1", failures="0",
                              errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="secguide.audit.input",
                             name="read .config")
        ET.SubElement(case, "error", message=why, type="bad input")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _cwe_tags(rule: AuditRule) -> list[str]:
    return [f"external/cwe/cwe-{cwe.split('-', 1)[1]}" for cwe in rule.cwes]


def kconfig_help_uri(symbol: str) -> str:
    """Zephyr's own reference entry for a symbol: what it does, its dependencies, defaults."""
    return f"{KCONFIG_REFERENCE_URI}#CONFIG_{symbol}"


def _sarif_rule(rule: AuditRule) -> dict[str, Any]:
    text = f"{rule.title}: CONFIG_{rule.symbol} {rule.expected_text}"
    return {
        "id": rule.id,
        "name": rule.id.replace(":", "-"),
        "shortDescription": {"text": text},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": f"{rule.rationale}\n\nSet CONFIG_{rule.symbol} "
                         f"{'to ' + rule.value if rule.value is not None else rule.expected_text}"
                         f" in the application's prj.conf. References: "
                         f"{', '.join(rule.references) or 'none'}."},
        "helpUri": kconfig_help_uri(rule.symbol),
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", *_cwe_tags(rule)],
                       "references": list(rule.references), "source": str(rule.loc)},
    }


def sarif_artifact_location(config_path: str) -> dict[str, Any]:
    """A ``.config`` as SARIF names it: relative to ``%SRCROOT%`` (the working directory the
    audit ran in, as code-scanning uploads expect), or a ``file:`` URI outside it."""
    if PurePosixPath(config_path).is_absolute():
        return {"uri": Path(config_path).as_uri()}
    return {"uri": quote(config_path), "uriBaseId": SARIF_ROOT}


def _fingerprint(result: RuleResult, audit: BuildAudit) -> str:
    # Stable across runs and line moves: what is checked, and in which build.
    key = "\0".join((result.rule.id, result.rule.symbol, audit.config_path))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _sarif_result(result: RuleResult, audit: BuildAudit, index: int) -> dict[str, Any]:
    kind = _SARIF_KIND[result.verdict]
    location: dict[str, Any] = {"artifactLocation": sarif_artifact_location(audit.config_path)}
    if result.config_loc is not None:
        location["region"] = {"startLine": result.config_loc.line}
    message = f"{result.verdict.value}: CONFIG_{result.rule.symbol} {result.reason}"
    if result.fix_line:
        message += f". Fix in prj.conf: {result.fix_line}"
    entry: dict[str, Any] = {
        "ruleId": result.rule.id, "ruleIndex": index, "kind": kind,
        "level": "error" if kind == "fail" else "none",
        "message": {"text": message},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(result, audit)},
        "properties": {"verdict": result.verdict.value, "expected": result.rule.expected_text,
                       "actual": result.actual, "board": audit.board_target or audit.board},
    }
    if result.verdict is Verdict.WAIVED and result.waiver is not None:
        entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                  "justification": f"{result.waiver.reason} (approved by "
                                  f"{result.waiver.approver}, until "
                                  f"{result.waiver.expires.isoformat()})"}]
    return entry


def sarif_log(summary: AuditSummary, *, show_all: bool = False) -> dict[str, Any]:
    """The SARIF 2.1.0 log as data (tests validate it against the published schema).

    Code-scanning interfaces show every result as an alert, so by default only what needs
    attention is a result: FAIL, WAIVED (as an accepted suppression) and UNKNOWN; PASS and
    NOT-APPLICABLE are counted in the run's properties (``show_all`` lists them too).
    """
    rules: dict[str, AuditRule] = {}
    for audit in summary.audits:
        for result in audit.results:
            rules.setdefault(result.rule.id, result.rule)
    order = {rule_id: index for index, rule_id in enumerate(rules)}
    results, left_out = [], dict.fromkeys((v.value for v in SARIF_QUIET), 0)
    for audit in summary.audits:
        for result in audit.results:
            if result.verdict in SARIF_QUIET and not show_all:
                left_out[result.verdict.value] += 1
                continue
            results.append(_sarif_result(result, audit, order[result.rule.id]))
    notifications = [{"level": "error", "message": {"text": f"{path}: {why}"}}
                     for path, why in summary.refused]
    notifications += [{"level": "note", "message": {"text": f"{path}: skipped: {why}"}}
                      for path, why in summary.skipped]
    notifications += [{"level": d.severity.value if d.severity.value != "note" else "note",
                       "message": {"text": str(d)}}
                      for audit in summary.audits for d in audit.config_diagnostics]
    first = summary.audits[0] if summary.audits else None
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "secguide", "version": __version__,
                            "informationUri": INFORMATION_URI,
                            "rules": [_sarif_rule(rule) for rule in rules.values()]}},
        "automationDetails": {"id": f"secguide-audit/{first.rules_from if first else 'guide'}/"
                                    f"{first.profile if first else ''}/"},
        "originalUriBaseIds": {SARIF_ROOT: {
            "description": {"text": "The working directory secguide audit ran in."}}},
        "results": results,
        "invocations": [{"executionSuccessful": not summary.bad_input,
                         "toolExecutionNotifications": notifications}],
        "properties": {"resultsLeftOut": left_out if not show_all else {}},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(summary: AuditSummary, *, show_all: bool = False) -> str:
    return json.dumps(sarif_log(summary, show_all=show_all), indent=2, sort_keys=True) + "\n"


def hardenconfig_recommended(rule: AuditRule) -> str:
    """The recommendation as hardenconfig spells it: ``y``, ``>=100``, ``>=1, <=5``."""
    if rule.value is not None:
        return rule.value
    bounds = [f">={rule.minimum}"] if rule.minimum is not None else []
    bounds += [f"<={rule.maximum}"] if rule.maximum is not None else []
    return ", ".join(bounds)


#: hardenconfig's results; UNKNOWN (which it cannot produce: it runs inside the build) is
#: written as itself, never as NA, so a dashboard does not read "cannot be judged" as
#: "does not apply".
_HARDENCONFIG_RESULT = {Verdict.PASS: "PASS", Verdict.FAIL: "FAIL", Verdict.WAIVED: "FAIL",
                        Verdict.NOT_APPLICABLE: "NA", Verdict.UNKNOWN: "UNKNOWN"}
#: When two rules name one symbol, the option shows the one that needs most attention.
_HARDENCONFIG_RANK = {"FAIL": 0, "UNKNOWN": 1, "PASS": 2, "NA": 3}


def _hardenconfig_current(result: RuleResult) -> str | None:
    if result.actual is not None:
        return result.actual
    return result.value_when_absent


def _hardenconfig_source(rule: AuditRule) -> str:
    return rule.source or PurePosixPath(rule.loc.path).as_posix()


def hardenconfig_report(audit: BuildAudit) -> dict[str, Any]:
    """One build in the shape of Zephyr's ``HARDENCONFIG_JSON`` report.

    Keys keep upstream's meanings: ``current`` is the value the build's Kconfig gives the
    symbol (``n`` for a boolean left out because its dependencies fail; null when the audit
    cannot know it), ``visible`` whether its prompt is visible in the build (false when
    unknown), ``recommended`` upstream's spelling, ``source`` a relative path; one option per
    symbol (the result needing most attention when two rules name it). Guide rules add
    ``recommendations`` and ``reason``, waivers ``waiver``: keys upstream's readers ignore.
    """
    options: dict[str, dict[str, Any]] = {}
    for result in audit.results:
        rule = result.rule
        option = {
            "name": rule.symbol,
            "recommended": hardenconfig_recommended(rule),
            "rationale": rule.rationale,
            "result": _HARDENCONFIG_RESULT[result.verdict],
            "current": _hardenconfig_current(result),
            "visible": bool(result.visible),
            "origin": "marker" if rule.origin == "marker" else "database",
            "references": [{"id": ref, "name": None} for ref in rule.references],
            "source": _hardenconfig_source(rule),
        }
        if rule.origin == "guide":
            # Not in upstream's report: which recommendations ask for it, and why this result.
            option.update(recommendations=[rule.id], reason=result.reason)
        if result.waiver is not None:
            # Not in upstream's report: a dashboard reading only its keys still sees FAIL.
            option["waiver"] = {"reason": result.waiver.reason,
                                "approver": result.waiver.approver,
                                "expires": result.waiver.expires.isoformat()}
        seen = options.get(option["name"])
        if seen is None:
            options[option["name"]] = option
            continue
        ids = [*seen.get("recommendations", ()),
               *(i for i in option.get("recommendations", ())
                 if i not in seen.get("recommendations", ()))]
        if _HARDENCONFIG_RANK[option["result"]] < _HARDENCONFIG_RANK[seen["result"]]:
            options[option["name"]] = option
        if ids:
            options[option["name"]]["recommendations"] = ids
    listed = list(options.values())
    return {"profile": audit.profile,
            "fail_count": sum(1 for o in listed if o["result"] == "FAIL"),
            "options": listed}


def render_hardenconfig_json(summary: AuditSummary) -> str:
    if len(summary.audits) != 1:
        raise SecguideError("--format hardenconfig-json describes one build; "
                            f"{len(summary.audits)} were audited")
    return json.dumps(hardenconfig_report(summary.audits[0]), indent=2) + "\n"


def render_report(summary: AuditSummary, fmt: str, *, show_all: bool = False,
                  product: ProductInfo | None = None) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`); ``product``: the product model the
    rules came from, named in text and JSON (each result says its item's origin)."""
    if fmt == "text":
        return render_text(summary, show_all=show_all, product=product)
    if fmt == "json":
        return render_json(summary, product)
    if fmt == "sarif":
        return render_sarif(summary, show_all=show_all)
    renderers = {"md": render_markdown, "junit": render_junit,
                 "hardenconfig-json": render_hardenconfig_json}
    return renderers[fmt](summary)
