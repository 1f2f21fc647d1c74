"""How secguide grows with the model: synthetic models, a plain-Sphinx floor, one table.

``make bench`` (or ``python scripts/bench_scale.py --scales 0,1000,3000``) copies
the guide (``conf.py``, ``source/``, ``threatmodel/``) into a temporary folder,
adds synthetic recommendations until the model has N of them, and measures, each
command in a fresh process:

* ``secguide check`` and ``secguide export``: CPU seconds (user + system);
* a cold ``sphinx-build -j auto`` of the guide: wall seconds and peak RSS;
* at the real size only: the writer's loop (cold, no-op rebuild, one YAML file
  touched, a comment added to it, one recommendation's rationale or title edited) of the
  guide and of a *floor* project (plain Sphinx + furo + sphinx-needs made from the
  built guide's own pages and text, no needs; the area page of the changed file
  changed alike: see ``bench_floor``), each with CPU, wall, peak RSS and the pages
  read and written, so the guide's cost is given as a ratio to what any such site
  costs on this machine;
* a warm ``secguide kconfig show``.

Each synthetic recommendation sets a distinct real bool symbol that ``prj.conf``
can set, is listed by one or two synthetic threats, and has one ``zephyr_test``
and one manual check, spread over the areas the guide has pages for. Numbers are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_floor import floor_from_guide

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: runs a command and prints its own children's CPU and peak RSS as JSON on stderr's last line
_MEASURE = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(done.stderr[-2000:], file=sys.stderr)
print(json.dumps({"code": done.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024}), file=sys.stderr)
"""


def measure(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> dict:
    """Wall and CPU seconds and peak RSS (MB) of ``argv`` and everything it starts."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)
    lines = done.stderr.rstrip().splitlines()
    result = json.loads(lines[-1])
    result["log"] = "\n".join(lines[:-1])
    return result


# -- the synthetic model ----------------------------------------------------------------

def _real_counts() -> int:
    return sum(text.count("\n  - id: REC-") for text in
               (p.read_text() for p in (REPO / "threatmodel").rglob("*.yaml")))


def _areas_with_pages() -> list[str]:
    sys.path.insert(0, str(REPO / "ext"))
    from secguide.trace.guide_pages import page_selections
    return sorted({area for s in page_selections(REPO / "source") for area in s.areas})


def _free_bool_symbols(zephyr_base: str, used: set[str]) -> list[str]:
    """Settable, current bool symbols the guide does not set, outside any choice (two
    members of one choice set to y would be a profile conflict, not a bigger model)."""
    from secguide.zephyr.kconfig.cache import load_symbol_db
    db, _ = load_symbol_db(zephyr_base)
    return [s.name for s in db if s.type == "bool" and s.user_settable and not s.choice
            and not s.deprecated and s.name not in used]


#: recommendations per synthetic file: a model is many files of a few hundred items, and
#: one file above the loader's size limit would be refused
PER_FILE = 200


def _asset_ids() -> list[str]:
    """The real model's asset IDs: each synthetic threat endangers one, in turn."""
    text = (REPO / "threatmodel" / "assets.yaml").read_text(encoding="utf-8")
    return [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.startswith("  - id: AST-")]


def _synthetic_files(symbols: Sequence[str], areas: Sequence[str]) -> dict[str, str]:
    """Relative path -> text of the synthetic recommendations and threats files."""
    recs: list[str] = []
    for index, symbol in enumerate(symbols):
        recs.append("\n".join([
            f"  - id: REC-SYN-{index:05d}",
            f"    title: Synthetic recommendation {index} sets {symbol}",
            f"    area: {areas[index % len(areas)]}",
            "    status: draft",
            "    rationale: A generated recommendation for measuring growth.",
            "    settings:",
            f"      - symbol: {symbol}",
            '        value: "y"',
            "    verification:",
            "      - zephyr_test: kernel.memory_protection.stackprot",
            f"      - id: TEST-MAN-SYN-{index:05d}",
            "        manual: Checked by hand on the production build."]))
    # threat k lists recommendations 2k, 2k+1 and 2k+2: each is listed once or twice
    extra = len(symbols)
    assets = _asset_ids()
    threats = []
    for k in range((extra + 1) // 2):
        listed = ", ".join(f"REC-SYN-{i:05d}" for i in range(2 * k, min(2 * k + 3, extra)))
        threats.append("\n".join([f"  - id: THR-SYN-{k:05d}", f"    title: Synthetic threat {k}",
                                  "    description: A generated threat.",
                                  f"    assets: [{assets[k % len(assets)]}]",
                                  f"    mitigated_by: [{listed}]"]))
    files = {}
    for first in range(0, len(recs), PER_FILE):
        files[f"recommendations/zz-synthetic-{first // PER_FILE:03d}.yaml"] = (
            "recommendations:\n" + "\n".join(recs[first:first + PER_FILE]) + "\n")
    for first in range(0, len(threats), PER_FILE):
        files[f"zz-synthetic-threats-{first // PER_FILE:03d}.yaml"] = (
            "threats:\n" + "\n".join(threats[first:first + PER_FILE]) + "\n")
    return files


def write_synthetic(model_dir: Path, extra: int, zephyr_base: str) -> None:
    """``extra`` recommendations and the threats listing them, in new YAML files.

    The model must stay valid, or the bench would time error reporting: a symbol whose
    setting conflicts with the guide's or another synthetic one (a ``depends on`` the
    guide turns off, a ``select`` of a symbol it wants off) is replaced by the next one
    until ``secguide check`` finds no profile conflict.
    """
    if extra <= 0:
        return
    from secguide.model.loader import load_threat_model
    from secguide.trace.profile_conflicts import profile_conflicts
    from secguide.zephyr.kconfig.cache import load_symbol_db
    db, _ = load_symbol_db(zephyr_base)
    model, _ = load_threat_model(model_dir)
    used = {s.symbol for rec in model.recommendations for s in rec.settings}
    candidates = iter(_free_bool_symbols(zephyr_base, used))
    areas = _areas_with_pages()
    chosen: list[str] = []
    for _attempt in range(20):
        chosen += [next(candidates, None) for _ in range(extra - len(chosen))]
        if None in chosen:
            raise SystemExit(f"bench: too few free bool symbols for {extra} recommendations")
        for old in [*model_dir.glob("zz-synthetic*"), *model_dir.glob("*/zz-synthetic*")]:
            old.unlink()
        for path, text in _synthetic_files(chosen, areas).items():
            (model_dir / path).write_text(text)
        model, _ = load_threat_model(model_dir)
        bad = {entry.setting.symbol for conflict in profile_conflicts(model, db)
               for entry in (conflict.forcing, conflict.broken)
               if entry.rec.id.startswith("REC-SYN-")}
        if not bad:
            return
        chosen = [symbol for symbol in chosen if symbol not in bad]
    raise SystemExit("bench: no conflict-free synthetic model after 20 rounds")


def guide_copy(target: Path, extra: int, zephyr_base: str) -> Path:
    target.mkdir(parents=True)
    shutil.copy2(REPO / "conf.py", target / "conf.py")
    (target / "ext").symlink_to(REPO / "ext")  # conf.py names the favicon under ext/
    shutil.copytree(REPO / "source", target / "source")
    shutil.copytree(REPO / "threatmodel", target / "threatmodel")
    write_synthetic(target / "threatmodel", extra, zephyr_base)
    return target


def sphinx_argv(out: Path) -> list[str]:
    return [str(BIN / "sphinx-build"), "-b", "html", "--keep-going", "-j", "auto", "-q",
            "-c", ".", "source", str(out)]


# -- the writer's loop: cold, nothing changed, one file touched, one file edited -------

#: the issue's goals: guide / floor at most this much
LOOP_GOALS = {"cold": 2.0, "no-op": 1.5, "one file touched": 2.0,
              "one file, a comment added": 2.0, "one recommendation's text edited": 2.0,
              "one recommendation's title edited": 2.0}


def _touch(path: Path) -> None:
    """A new mtime, as an editor's save gives (Sphinx and secguide look at mtimes)."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def _output_stamps(build: Path) -> dict[Path, int]:
    """mtime of every doctree (a page read) and HTML page (a page written) of ``build``."""
    found = {}
    for pattern in ("**/*.doctree", "**/*.html"):
        for path in build.glob(pattern):
            found[path] = path.stat().st_mtime_ns
    return found


def _measure_pages(argv: Sequence[str], cwd: Path, env: dict[str, str], build: Path) -> dict:
    """:func:`measure`, plus how many pages the build read and wrote (changed files)."""
    before = _output_stamps(build)
    result = measure(argv, cwd, env)
    after = _output_stamps(build)
    changed = [path for path, stamp in after.items() if before.get(path) != stamp]
    result["read"] = sum(path.suffix == ".doctree" for path in changed)
    result["written"] = sum(path.suffix == ".html" for path in changed)
    return result


def _median_run(runs: int, change: Callable[[int], None], guide: Path, floor_dir: Path,
                env: dict[str, str]) -> tuple[dict, dict]:
    """Median (by CPU) of ``runs`` (guide, floor) builds, ``change(run)`` made before each."""
    guides, floors = [], []
    for run in range(runs):
        change(run)
        guides.append(_measure_pages(sphinx_argv(guide / "_build"), guide, env,
                                     guide / "_build"))
        floors.append(_measure_pages(sphinx_argv(floor_dir / "_build"), floor_dir, env,
                                     floor_dir / "_build"))
    middle = len(guides) // 2
    return (sorted(guides, key=lambda r: r["cpu"])[middle],
            sorted(floors, key=lambda r: r["cpu"])[middle])


#: the first line of a recommendation's rationale in the touched file, edited in place
_RATIONALE = "    rationale: >-\n"
#: a recommendation's title line (``  - id: REC-...`` is followed by it)
_TITLE = "    title: "


def _edit_line(path: Path, marker: str, run: int) -> None:
    """Change the words of the line after ``marker``'s first match, moving no line."""
    text = path.read_text(encoding="utf-8")
    at = text.index(marker, text.index("  - id: REC-")) + len(marker)
    line_end = text.index("\n", at)
    line = text[at:line_end].removesuffix(" (bench edit)").removesuffix(" (bench again)")
    line += " (bench edit)" if run % 2 == 0 else " (bench again)"
    path.write_text(text[:at] + line + text[line_end:], encoding="utf-8")


def writer_loop(guide: Path, guide_cold: dict, floor_dir: Path, env: dict[str, str],
                runs: int = 3) -> dict[str, tuple[dict, dict]]:
    """(guide, floor) measurements of the builds of the writer's loop, medians of ``runs``.

    ``guide_cold`` is the guide's cold build measured already. The changed files are
    one recommendation YAML file of the guide and the floor's page of the same area.
    """
    touched = sorted((guide / "threatmodel" / "recommendations").glob("*.yaml"))[0]
    # the floor's page of the same name as the area page the touched file feeds
    floor_page = floor_dir / "source" / "recommendations" / f"{touched.stem}.rst"
    builds: dict[str, tuple[dict, dict]] = {}
    floor_cold = measure(sphinx_argv(floor_dir / "_build"), floor_dir, env)
    builds["cold"] = (guide_cold, floor_cold)

    def nothing(_run: int) -> None:
        pass

    def touch(_run: int) -> None:
        _touch(touched)
        _touch(floor_page)

    def comment(run: int) -> None:  # new bytes, nothing shown changes
        with touched.open("a", encoding="utf-8") as yaml_file:
            yaml_file.write(f"# edited by the bench ({run})\n")
        with floor_page.open("a", encoding="utf-8") as page:
            page.write(f"\n.. edited by the bench ({run})\n")

    def text(run: int) -> None:  # words a reader sees change
        _edit_line(touched, _RATIONALE, run)
        with floor_page.open("a", encoding="utf-8") as page:
            page.write(f"\nEdited by the bench ({run}).\n")

    def title(run: int) -> None:  # a title is shown on more pages than its card
        _edit_line(touched, _TITLE, run)
        with floor_page.open("a", encoding="utf-8") as page:
            page.write(f"\nA title edited by the bench ({run}).\n")

    builds["no-op"] = _median_run(runs, nothing, guide, floor_dir, env)
    builds["one file touched"] = _median_run(runs, touch, guide, floor_dir, env)
    builds["one file, a comment added"] = _median_run(runs, comment, guide, floor_dir, env)
    builds["one recommendation's text edited"] = _median_run(runs, text, guide, floor_dir, env)
    builds["one recommendation's title edited"] = _median_run(runs, title, guide, floor_dir,
                                                              env)
    return builds


def print_writer_loop(builds: dict[str, tuple[dict, dict]], real: int) -> None:
    """The issue's table: guide against the plain Sphinx + furo + sphinx-needs floor."""
    print(f"Writer's loop at {real} recommendations (caches warm from an earlier build): the "
          "guide against a plain Sphinx + furo + sphinx-needs site of its own pages and text "
          "(no directives, needs or diagrams)")
    print("| build | guide CPU | guide wall | guide peak RSS | pages read / written | "
          "plain CPU | plain wall | plain peak RSS | CPU ratio | goal |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (guide, floor) in builds.items():
        ratio = guide["cpu"] / floor["cpu"] if floor["cpu"] else float("inf")
        pages = (f"{guide['read']} / {guide['written']} (plain: {floor['read']} / "
                 f"{floor['written']})" if "read" in guide else "all")
        print(f"| {name} | {guide['cpu']:.1f} s | {guide['wall']:.1f} s | "
              f"{guide['rss_mb']:.0f} MB | {pages} | {floor['cpu']:.1f} s | "
              f"{floor['wall']:.1f} s | {floor['rss_mb']:.0f} MB | {ratio:.2f}x | "
              f"<= {LOOP_GOALS[name]}x |")
    print("  (medians of 3 runs but the cold build; CPU = user + system of sphinx-build and "
          "its workers; on a shared machine CPU is the fair comparison, wall includes waiting)")


# -- the table ------------------------------------------------------------------------

def run(zephyr_base: str, scales: Sequence[int], work: Path) -> None:
    real = _real_counts()
    env = {**os.environ, "ZEPHYR_BASE": zephyr_base, "SECGUIDE_BASELINE_ZEPHYR_BASE": "",
           "SECGUIDE_JOBS": "auto",  # as make html asks
           "SECGUIDE_RESULTS": "", "SOURCE_DATE_EPOCH": "1700000000"}
    env["PYTHONPATH"] = str(REPO / "ext")
    secguide = str(BIN / "secguide")
    rows = []
    floor = None
    for scale in scales:
        size = max(scale, real)
        guide = guide_copy(work / f"guide-{size}", size - real, zephyr_base)
        # a model built for the first time: nothing cached but the parsed Kconfig tree
        sized_env = {**env, "SECGUIDE_CACHE_DIR": str(work / f"cache-{size}")}
        subprocess.run([secguide, "kconfig", "info"], env=sized_env, check=True,
                       capture_output=True)
        check = measure([secguide, "check"], guide, sized_env)
        export = measure([secguide, "export", "--out", str(work / f"evidence-{size}")],
                         guide, sized_env)
        cold = measure(sphinx_argv(guide / "_build"), guide, sized_env)
        row = {"size": size, "check": check, "export": export, "cold": cold,
               "ok": not (check["code"] or export["code"] or cold["code"])}
        if size == real and row["ok"]:
            # the writer's loop starts from an empty output folder with warm caches:
            # the writer has built this model before (``make clean; make html``)
            floor_dir = floor_from_guide(guide / "_build", work / "floor")
            shutil.rmtree(guide / "_build")
            again = measure(sphinx_argv(guide / "_build"), guide, sized_env)
            floor = writer_loop(guide, again, floor_dir, sized_env)
        if not row["ok"]:
            print(f"  (size {size}: a command failed; its log ends with:\n"
                  f"{(cold['log'] or export['log'] or check['log'])[-800:]})")
        rows.append(row)
        shutil.rmtree(guide / "_build", ignore_errors=True)

    print("Scale (synthetic models, each built for the first time: only the parsed Kconfig "
          "tree cached; CPU = user + system of the whole command, RSS = its largest process)")
    print("| recommendations | `check` CPU | RSS | `export` CPU | RSS | cold `make html` CPU | "
          "wall | RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        check, export, cold = row["check"], row["export"], row["cold"]
        print(f"| {row['size']:,} | {check['cpu']:.2f} s | {check['rss_mb']:.0f} MB | "
              f"{export['cpu']:.2f} s | {export['rss_mb']:.0f} MB | {cold['cpu']:.1f} s | "
              f"{cold['wall']:.1f} s | {cold['rss_mb']:.0f} MB |")
    print("  (goals at 3,000: check <= 2 s, export <= 3 s, cold guide <= 120 s and <= 800 MB)")
    if floor is not None:
        print_writer_loop(floor, real)
    warm = min(measure([secguide, "kconfig", "show", "STACK_CANARIES"], REPO, sized_env)["wall"]
               for _ in range(3))
    print(f"Warm 'secguide kconfig show': {warm:.2f} s (target <= 0.2 s; best of 3)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zephyr-base", default=os.environ.get("ZEPHYR_BASE"))
    parser.add_argument("--scales", default="0,1000,3000",
                        help="model sizes (0: the real model), comma-separated")
    args = parser.parse_args(argv)
    if not args.zephyr_base or not Path(args.zephyr_base).is_dir():
        print("bench: set ZEPHYR_BASE or pass --zephyr-base", file=sys.stderr)
        return 2
    scales = [int(part) for part in args.scales.split(",") if part.strip()]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="secguide-scale-") as work:
        run(args.zephyr_base, scales, Path(work))
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"(scale bench took {time.perf_counter() - started:.0f} s; "
          f"peak RSS of this script {own_rss} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
