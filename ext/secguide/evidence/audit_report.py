"""Audit results as files people and tools read: text, markdown, JSON, JUnit, SARIF, hardenconfig.

Each renderer takes the frozen :class:`~secguide.trace.audit.AuditSummary` and
returns text; none of them judges anything. What a report claims is exactly
what the audit found: a PASS says "the .config has the recommended value", not
that the product is secure.

- ``text`` / ``md``: jinja2 templates (``templates/audit.*.j2``), the markdown
  meant for a pull-request comment; untrusted values are made inert there.
- ``json``: every result with its reason, ``.config`` line and rule source.
- ``junit``: one ``<testcase>`` per rule and build, failing on FAIL, skipped on
  NOT-APPLICABLE/UNKNOWN/WAIVED (with the reason), for CI dashboards.
- ``sarif``: SARIF 2.1.0; results located at the ``.config`` line, rules with
  the recommendation text and CWE references (as ``external/cwe/cwe-N`` tags,
  the convention code-scanning dashboards read), waivers as accepted
  suppressions.
- ``hardenconfig-json``: the shape of Zephyr's ``HARDENCONFIG_JSON`` report.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from secguide import __version__
from secguide.diagnostics import SecguideError
from secguide.model.product_items import ProductInfo
from secguide.templates import render
from secguide.trace.audit import AuditRule, AuditSummary, BuildAudit, RuleResult, Verdict

FORMATS = ("text", "json", "md", "junit", "sarif", "hardenconfig-json")
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://docs.zephyrproject.org/latest/security/index.html"

_SARIF_KIND = {Verdict.PASS: "pass", Verdict.FAIL: "fail", Verdict.WAIVED: "fail",
               Verdict.NOT_APPLICABLE: "notApplicable", Verdict.UNKNOWN: "review"}
_HARDENCONFIG_RESULT = {Verdict.PASS: "PASS", Verdict.FAIL: "FAIL", Verdict.WAIVED: "FAIL",
                        Verdict.NOT_APPLICABLE: "NA", Verdict.UNKNOWN: "NA"}


def _common(summary: AuditSummary) -> dict[str, Any]:
    first = summary.audits[0] if summary.audits else None
    return {"audits": summary.audits, "refused": summary.refused, "skipped": summary.skipped,
            "V": Verdict,
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


def render_junit(summary: AuditSummary) -> str:
    suites = ET.Element("testsuites", name="secguide audit")
    for audit in summary.audits:
        suite = ET.SubElement(suites, "testsuite", name=audit.config_path,
                              tests=str(len(audit.results)),
                              failures=str(audit.count(Verdict.FAIL)), errors="0",
                              skipped=str(len(audit.results) - audit.count(Verdict.PASS)
                                          - audit.count(Verdict.FAIL)))
        for result in audit.results:
            case = ET.SubElement(suite, "testcase", classname=audit.config_path,
                                 name=f"{result.rule.id} CONFIG_{result.rule.symbol}")
            if result.verdict is Verdict.FAIL:
                ET.SubElement(case, "failure", message=result.reason, type="FAIL").text = (
                    f"expected {result.rule.expected_text}, actual {result.actual}")
            elif result.verdict is not Verdict.PASS:
                ET.SubElement(case, "skipped", message=f"{result.verdict.value}: "
                                                       f"{result.reason}")
    for path, why in summary.refused:
        suite = ET.SubElement(suites, "testsuite", name=path, tests="1", failures="0",
                              errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", classname=path, name="read .config")
        ET.SubElement(case, "error", message=why)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _cwe_tags(rule: AuditRule) -> list[str]:
    return [f"external/cwe/cwe-{cwe.split('-', 1)[1]}" for cwe in rule.cwes]


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
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", *_cwe_tags(rule)],
                       "references": list(rule.references), "source": str(rule.loc)},
    }


def _sarif_result(result: RuleResult, audit: BuildAudit, index: int) -> dict[str, Any]:
    kind = _SARIF_KIND[result.verdict]
    location: dict[str, Any] = {"artifactLocation": {"uri": audit.config_path}}
    if result.config_loc is not None:
        location["region"] = {"startLine": result.config_loc.line}
    entry: dict[str, Any] = {
        "ruleId": result.rule.id, "ruleIndex": index, "kind": kind,
        "level": "error" if kind == "fail" else "none",
        "message": {"text": f"{result.verdict.value}: CONFIG_{result.rule.symbol} "
                            f"{result.reason}"},
        "locations": [{"physicalLocation": location}],
        "properties": {"verdict": result.verdict.value, "expected": result.rule.expected_text,
                       "actual": result.actual, "board": audit.board_target or audit.board},
    }
    if result.verdict is Verdict.WAIVED and result.waiver is not None:
        entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                  "justification": f"{result.waiver.reason} (approved by "
                                  f"{result.waiver.approver}, until "
                                  f"{result.waiver.expires.isoformat()})"}]
    return entry


def sarif_log(summary: AuditSummary) -> dict[str, Any]:
    """The SARIF 2.1.0 log as data (tests validate it against the published schema)."""
    rules: dict[str, AuditRule] = {}
    for audit in summary.audits:
        for result in audit.results:
            rules.setdefault(result.rule.id, result.rule)
    order = {rule_id: index for index, rule_id in enumerate(rules)}
    results = [_sarif_result(r, audit, order[r.rule.id])
               for audit in summary.audits for r in audit.results]
    notifications = [{"level": "error", "message": {"text": f"{path}: {why}"}}
                     for path, why in summary.refused]
    notifications += [{"level": "note", "message": {"text": f"{path}: skipped: {why}"}}
                      for path, why in summary.skipped]
    notifications += [{"level": d.severity.value if d.severity.value != "note" else "note",
                       "message": {"text": str(d)}}
                      for audit in summary.audits for d in audit.config_diagnostics]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "secguide", "version": __version__,
                            "informationUri": INFORMATION_URI,
                            "rules": [_sarif_rule(rule) for rule in rules.values()]}},
        "results": results,
        "invocations": [{"executionSuccessful": not summary.bad_input,
                         "toolExecutionNotifications": notifications}],
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(summary: AuditSummary) -> str:
    return json.dumps(sarif_log(summary), indent=2, sort_keys=True) + "\n"


def hardenconfig_report(audit: BuildAudit) -> dict[str, Any]:
    """One build in the shape of Zephyr's ``HARDENCONFIG_JSON`` report."""
    options = []
    for result in audit.results:
        rule = result.rule
        options.append({
            "name": rule.symbol,
            "recommended": rule.expected_text,
            "rationale": rule.rationale,
            "result": _HARDENCONFIG_RESULT[result.verdict],
            "current": result.actual,
            "visible": result.actual is not None,
            "origin": "marker" if rule.origin == "marker" else "database",
            "references": [{"id": ref, "name": None} for ref in rule.references],
            "source": rule.loc.path,
        })
        if result.waiver is not None:
            # Not in upstream's report: a dashboard reading only its keys still sees FAIL.
            options[-1]["waiver"] = {"reason": result.waiver.reason,
                                     "approver": result.waiver.approver,
                                     "expires": result.waiver.expires.isoformat()}
    return {"profile": audit.profile,
            "fail_count": sum(1 for o in options if o["result"] == "FAIL"),
            "options": options}


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
    renderers = {"md": render_markdown, "junit": render_junit,
                 "sarif": render_sarif, "hardenconfig-json": render_hardenconfig_json}
    return renderers[fmt](summary)
