"""``make bench``: how fast secguide reads a Zephyr tree, builds the guide and audits builds.

Each measurement runs in a fresh Python process so that timings include what a
user pays (imports, cache reads) and peak RSS belongs to that scenario alone.
Numbers are printed, never asserted: speed is reported, not tested.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_PROBE = r"""
import json, resource, sys, time
started = time.perf_counter()
from secguide.zephyr.kconfig.cache import load_symbol_db
db, report = load_symbol_db(sys.argv[1], cache_dir=__import__("pathlib").Path(sys.argv[2]))
elapsed = time.perf_counter() - started
print(json.dumps({"source": report.source, "seconds": elapsed, "load_seconds": report.seconds,
                  "symbols": len(db),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _probe(tree: str, cache_dir: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, tree, cache_dir],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def bench_kconfig(tree: str, runs: int) -> None:
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache_dir:
            cold.append(_probe(tree, cache_dir))
            warm.append(_probe(tree, cache_dir))
    assert all(r["source"] == "parse" for r in cold) and all(r["source"] == "cache" for r in warm)
    med = statistics.median
    print(f"Kconfig symbol database: {tree}")
    print(f"  symbols                 {cold[0]['symbols']}")
    print(f"  cold load (parse)       {med(r['seconds'] for r in cold):.2f} s  "
          f"(load_symbol_db alone {med(r['load_seconds'] for r in cold):.2f} s)")
    print(f"  warm load (cache)       {med(r['seconds'] for r in warm):.3f} s  "
          f"(load_symbol_db alone {med(r['load_seconds'] for r in warm):.3f} s)")
    print(f"  peak RSS cold / warm    {max(r['peak_rss_mb'] for r in cold):.0f} MB / "
          f"{max(r['peak_rss_mb'] for r in warm):.0f} MB")
    print(f"  (median of {runs} runs, each in a fresh process, imports included)")


REPO = Path(__file__).resolve().parent.parent


def _sphinx_build(out: Path, tree: str, cache_dir: str) -> float:
    """Seconds for ``make html``'s sphinx-build command into ``out``; fails on warnings."""
    env = {**os.environ, "ZEPHYR_BASE": tree, "SECGUIDE_CACHE_DIR": cache_dir,
           "SECGUIDE_JOBS": "auto"}  # as make html asks
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "sphinx-build"), "-b", "html", "-W",
                    "--keep-going", "-j", "auto", "-q", "-c", ".", "source", str(out)],
                   cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def bench_guide(tree: str, runs: int) -> None:
    """Cold build (empty output, warm Kconfig cache), no-op rebuild, one YAML file touched."""
    touched = REPO / "threatmodel" / "threats.yaml"
    cold, noop, touch = [], [], []
    with tempfile.TemporaryDirectory() as cache_dir:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as out:
                cold.append(_sphinx_build(Path(out), tree, cache_dir))
                noop.append(_sphinx_build(Path(out), tree, cache_dir))
                info = touched.stat()
                now = time.time_ns()
                os.utime(touched, ns=(now, now))
                try:
                    touch.append(_sphinx_build(Path(out), tree, cache_dir))
                finally:  # leave the shared checkout's timestamps as they were
                    os.utime(touched, ns=(info.st_atime_ns, info.st_mtime_ns))
    med = statistics.median
    print(f"Guide build (make html: -W --keep-going -j auto): {tree}")
    print(f"  cold build              {med(cold):.2f} s   (target <= 30 s; the first run "
          f"also parses Kconfig: {cold[0]:.2f} s)")
    print(f"  no-op rebuild           {med(noop):.2f} s   (target <= 3 s)")
    print(f"  after touching {touched.relative_to(REPO)}  {med(touch):.2f} s")
    print(f"  (median of {runs} runs, sphinx-build in a fresh process each time)")


CONFIGS = REPO.parent / "shared" / "builds" / "configs"


def _audit(args: list[str], tree: str, cache_dir: str) -> float:
    """Seconds for one ``secguide audit`` in a fresh process (exit 1 = findings, fine)."""
    env = {**os.environ, "ZEPHYR_BASE": tree, "SECGUIDE_CACHE_DIR": cache_dir}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "secguide", "audit", *args], cwd=REPO,
                          env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr.decode())
    return elapsed


def bench_audit(tree: str, runs: int, count: int = 500) -> None:
    """One .config end to end (warm Kconfig cache), and a folder of ``count`` builds."""
    apps = sorted(p for p in CONFIGS.glob("*.config") if not p.name.startswith("sysbuild"))
    if not apps:
        print(f"secguide audit: no .config files in {CONFIGS}; skipped")
        return
    one = str(CONFIGS / "qemu_x86-vehicleos.config")
    with tempfile.TemporaryDirectory() as cache_dir, tempfile.TemporaryDirectory() as many:
        _audit([one], tree, cache_dir)  # fills the Kconfig cache
        single = [_audit([one, "--format", "json"], tree, cache_dir) for _ in range(runs)]
        for index in range(count):  # a twister-like tree: <platform>/<scenario>/zephyr/.config
            target = Path(many) / f"p{index % 7}" / f"scenario{index}" / "zephyr" / ".config"
            target.parent.mkdir(parents=True)
            target.write_bytes(apps[index % len(apps)].read_bytes())
        bulk = [_audit([many, "--format", "json"], tree, cache_dir) for _ in range(runs)]
    med = statistics.median
    print("secguide audit (guide rules, profile strict, warm Kconfig cache):")
    print(f"  one .config end to end  {med(single):.2f} s   (target <= 0.5 s)")
    print(f"  {count} .config files     {med(bulk):.2f} s   (target <= 30 s; "
          f"{med(bulk) / count * 1000:.1f} ms per build)")
    print(f"  (median of {runs} runs, each in a fresh process, imports included)")


RESULTS = REPO.parent / "shared" / "builds" / "results"


def bench_evidence(tree: str, runs: int) -> None:
    """``secguide evidence`` for one real build with real twister results (warm cache)."""
    config = CONFIGS / "nucleo_h753zi-stepper.config"
    twister = RESULTS / "r05-v4.2.0-native_sim.twister.json"
    if not (config.is_file() and twister.is_file()):
        print("secguide evidence: the shared build or results are missing; skipped")
        return
    env = {**os.environ, "ZEPHYR_BASE": tree, "SOURCE_DATE_EPOCH": "1767225600"}
    times = []
    with tempfile.TemporaryDirectory() as cache_dir, tempfile.TemporaryDirectory() as out:
        env["SECGUIDE_CACHE_DIR"] = cache_dir
        for run in range(runs + 1):  # the first run fills the Kconfig cache
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "secguide", "evidence", str(config),
                                   "--results", str(twister), "--out", str(Path(out) / "ev")],
                                  cwd=REPO, env=env, capture_output=True, check=False)
            # exit 1: r05 ran another release than the build, so it is shown, not counted
            if done.returncode not in (0, 1):
                raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout,
                                                    done.stderr)
            if run:
                times.append(time.perf_counter() - started)
    print("secguide evidence (one build, HTML + PDF + machine files, warm Kconfig cache):")
    print(f"  end to end  {statistics.median(times):.2f} s   (median of {runs} runs, "
          "fresh process each)")


def _secguide(argv: list[str], tree: str, cache_dir: str,
              exits: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys) of one ``secguide`` run in a fresh process.

    ``exits``: the exit codes that mean the run worked (an audit's findings exit 1).
    """
    env = {**os.environ, "ZEPHYR_BASE": tree, "SECGUIDE_CACHE_DIR": cache_dir}
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "secguide"), *argv], cwd=REPO,
                          env=env, check=False, capture_output=True)
    if done.returncode not in exits:
        raise RuntimeError(done.stderr.decode())
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user - before.children_user
                  + after.children_system - before.children_system)


def bench_cli(tree: str, runs: int) -> None:
    """Start-up of the quickest commands a developer types, warm caches."""
    one = str(CONFIGS / "qemu_x86-vehicleos.config")
    with tempfile.TemporaryDirectory() as cache_dir:
        show = ["kconfig", "show", "CONFIG_STACK_CANARIES"]
        _secguide(show, tree, cache_dir)  # fills the Kconfig cache
        shows = [_secguide(show, tree, cache_dir) for _ in range(runs)]
        audits = [_secguide(["audit", one, "--format", "json"], tree, cache_dir, (0, 1))
                  for _ in range(runs)]
        board = ["board", "nucleo_h723zg", "--format", "conf"]
        _secguide(board, tree, cache_dir)  # evaluates the one target, fills its cache
        boards = [_secguide(board, tree, cache_dir) for _ in range(runs)]
    print("Command start-up (warm Kconfig cache):")
    for label, values, target in (("kconfig show CONFIG_X", shows, "0.2 s"),
                                  ("audit of one .config", audits, "0.5 s"),
                                  ("board TARGET --format conf", boards, "0.3 s")):
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {label:<28}{wall:6.2f} s wall, {cpu:6.2f} s CPU   (target {target})")
    print(f"  (median of {runs} runs, fresh process each; CPU is what the process used, "
          "wall includes waiting for a shared machine)")


def bench_diff(tree: str, runs: int) -> None:
    """``secguide diff`` of two revisions of the shipped model with the reference builds."""
    found = subprocess.run(["git", "-C", str(REPO), "log", "-n", "2", "--format=%H", "--",
                            "threatmodel"], capture_output=True, text=True, check=False)
    commits = found.stdout.split()
    if found.returncode or len(commits) < 2 or not CONFIGS.is_dir():
        print("secguide diff: needs a git checkout with two model revisions and the shared "
              "builds; skipped")
        return
    argv = ["diff", commits[1], commits[0], "--builds", str(CONFIGS)]
    with tempfile.TemporaryDirectory() as cache_dir:
        _secguide(argv, tree, cache_dir, (0, 1))  # fills the Kconfig cache
        values = [_secguide(argv, tree, cache_dir, (0, 1)) for _ in range(runs)]
    wall = statistics.median(v[0] for v in values)
    cpu = statistics.median(v[1] for v in values)
    print(f"secguide diff of two model revisions, {len(list(CONFIGS.glob('*.config')))} "
          "reference builds (warm Kconfig cache):")
    print(f"  {wall:.2f} s wall, {cpu:.2f} s CPU   (target 3 s; median of {runs} runs, "
          "fresh process each)")


def bench_boards(tree: str, runs: int) -> None:
    """``secguide board TARGET`` cold/warm and ``secguide boards`` (all targets) cold/warm."""
    one = ["board", "nucleo_h753zi", "--format", "json"]
    every = ["boards", "--format", "csv"]
    one_cold, one_warm, all_cold, all_warm = [], [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache_dir:
            one_cold.append(_secguide(one, tree, cache_dir))
            one_warm.append(_secguide(one, tree, cache_dir))
    with tempfile.TemporaryDirectory() as cache_dir:  # all targets: once, it is the slow one
        all_cold.append(_secguide(every, tree, cache_dir))
        all_warm.append(_secguide(every, tree, cache_dir))
        one_warm.append(_secguide(one, tree, cache_dir))

    def show(label: str, values: list[tuple[float, float]], target: str) -> None:
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {label:<28}{wall:6.2f} s wall, {cpu:6.2f} s CPU   (target {target})")

    print(f"Board targets (secguide board / boards): {tree}")
    show("one target, cold", one_cold, "<= 3 s")
    show("one target, warm", one_warm, "<= 0.5 s")
    show("all targets, cold", all_cold, "<= 120 s")
    show("all targets, warm", all_warm, "cached by tree fingerprint")
    print(f"  (one target: median of {runs} runs; all targets: one run; CPU is what the "
          "process used, wall includes waiting for a shared machine)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zephyr-base", default=os.environ.get("ZEPHYR_BASE"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("kconfig", "cli", "boards", "guide", "audit",
                                           "evidence", "diff", "scale"),
                        help="run one group of measurements")
    parser.add_argument("--scales", default="0,1000,3000",
                        help="model sizes for the scale table (0: the real model; '' skips it)")
    args = parser.parse_args()
    if not args.zephyr_base or not Path(args.zephyr_base).is_dir():
        print("bench: set ZEPHYR_BASE or pass --zephyr-base", file=sys.stderr)
        return 2
    parser_only = args.only
    if parser_only in (None, "kconfig"):
        bench_kconfig(args.zephyr_base, args.runs)
    if parser_only in (None, "cli"):
        bench_cli(args.zephyr_base, args.runs)
    if parser_only in (None, "boards"):
        bench_boards(args.zephyr_base, args.runs)
    if parser_only in (None, "guide"):
        bench_guide(args.zephyr_base, args.runs)
    if parser_only in (None, "audit"):
        bench_audit(args.zephyr_base, args.runs)
    if parser_only in (None, "evidence"):
        bench_evidence(args.zephyr_base, args.runs)
    if parser_only in (None, "diff"):
        bench_diff(args.zephyr_base, args.runs)
    if parser_only in (None, "scale") and args.scales:
        # growth with the model size: synthetic models and a plain-Sphinx floor project
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_scale
        return bench_scale.main(["--zephyr-base", args.zephyr_base, "--scales", args.scales])
    return 0


if __name__ == "__main__":
    sys.exit(main())
