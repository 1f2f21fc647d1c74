"""A small model and audit checks shared by the build-verdict and build-report tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.build_verdicts import SettingCheck
from secguide.trace.results import Outcome, ResultFile, Results, TargetRun

MODEL = """\
recommendations:
  - id: REC-A
    title: A with a target test
    area: stack-protection
    status: review
    rationale: r
    settings: [{symbol: STACK_CANARIES, value: "y"}]
    verification:
      - zephyr_test: kernel.memory_protection.stackprot
  - id: REC-B
    title: B without tests
    area: stack-protection
    status: review
    rationale: r
    settings: [{symbol: STACK_SENTINEL, value: "y"}]
    verification:
      - build_audit: production
  - id: REC-C
    title: C for another architecture
    area: x86
    status: review
    rationale: r
    applies_to: {architectures: [x86]}
    settings: [{symbol: X86_PAE, value: "y"}]
    verification:
      - id: TEST-MAN-C
        manual: look at it
  - id: REC-D
    title: D only in the strict profile
    area: stack-protection
    status: review
    rationale: r
    profiles: [strict]
    settings: [{symbol: STACK_POINTER_RANDOM, value: "y"}]
    verification:
      - build_audit: production
profiles:
  - {name: base, description: d}
  - {name: strict, extends: base, description: d}
threats:
  - {id: THR-ONE, title: t, description: d, mitigated_by: [REC-A, REC-B]}
  - {id: THR-TWO, title: t, description: d, mitigated_by: [REC-B, REC-D]}
  - {id: THR-THREE, title: t, description: d, mitigated_by: [REC-C, RESP-X]}
  - {id: THR-FOUR, title: t, description: d, mitigated_by: [REC-C]}
responsibilities:
  - {id: RESP-X, title: x, description: d}
standard:
  id: STD-TOY
  name: Toy
  edition: "1"
  summary: s
  clauses:
    - {id: CLS-TOY-1, clause: "1", title: t, met_by: configuration,
       recommendations: [REC-A, REC-B], justification: j}
    - {id: CLS-TOY-2, clause: "2", title: t, met_by: product,
       responsibilities: [RESP-X], justification: j}
    - {id: CLS-TOY-3, clause: "3", title: t, met_by: not-applicable, justification: j}
    - {id: CLS-TOY-4, clause: "4", title: t, met_by: configuration,
       recommendations: [REC-C], justification: j}
"""


def check(symbol: str, verdict: str) -> SettingCheck:
    return SettingCheck(f"CONFIG_{symbol}", "y", verdict, "y" if verdict == "PASS" else "n",
                        "because", 3)


def toy_model(tmp_path: Path) -> ThreatModel:
    folder = tmp_path / "tm"
    folder.mkdir(parents=True)
    (folder / "model.yaml").write_text(textwrap.dedent(MODEL), encoding="utf-8")
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    return model


def twister_results(release: str = "v4.2.0", **platforms: Outcome) -> Results:
    """One twister.json of ``release`` in which ``kernel.memory_protection.stackprot`` ran on
    each of ``platforms`` with the outcome given."""
    results = Results()
    for platform, outcome in platforms.items():
        results._add_platform(SCENARIO, platform, outcome)
        results.runs.append(TargetRun(SCENARIO, f"tests/kernel/{SCENARIO}", platform, outcome,
                                      "twister.json"))
    results.releases["twister.json"] = release
    results.files.append(ResultFile("twister.json", "0" * 64, "twister", release,
                                    len(platforms)))
    return results


SCENARIO = "kernel.memory_protection.stackprot"
AUDIT: dict[str, list[SettingCheck]] = {
    "REC-A": [check("STACK_CANARIES", "PASS")], "REC-B": [check("STACK_SENTINEL", "PASS")],
    "REC-C": [check("X86_PAE", "NOT-APPLICABLE")], "REC-D": [check("STACK_POINTER_RANDOM", "PASS")]}
