"""Mutation testing of theory/ on a seeded random sample of mutants (mutmut 3; not run in CI).

    pip install -e '.[test,mutation]'
    python benchmarks/mutation.py --seed 2026 --count 320 [--write benchmarks/MUTATION.md]

What it does, in order:

1. ``mutmut run 'theory.common.x_*__mutmut_1'``: mutmut writes every mutant of theory/ into
   ``mutants/``, runs the unit tests of ``[tool.mutmut]`` once to learn which test reaches which
   function, and tries those few mutants;
2. reads every mutant's name from ``mutants/theory/*.meta`` and draws ``--count`` of them with
   ``random.Random(seed)``, stratified by module (each module's share rounded, at least one);
3. ``mutmut run NAME ...`` on the sample;
4. scores it: killed / (sample - equivalent), where the equivalent mutants are those named, each
   with its reason, in ``benchmarks/equivalent_mutants.txt`` (a mutant that no test can kill
   because the program means the same thing: its name, a tab, the reason).

A mutant counts as killed when a test failed, timed out or crashed on it (mutmut's exit codes
1, 3, -9, -11, -24, 24, 36, 152, 255; a type-check kill never occurs here, no checker is set).
``--write`` renders the score, the command, the seed and the survivors into a Markdown file.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "benchmarks" / "equivalent_mutants.txt"
# mutmut 3.8's exit codes (mutmut.models: status_by_exit_code)
KILLED = {1, 3, -9, -11, -24, 24, 36, 152, 255}
SURVIVED = {0, 5}
NO_TESTS = {33}


def mutmut(*names: str) -> None:
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", "2", *names]
    subprocess.run(cmd, cwd=ROOT, check=False)


def all_mutants() -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for meta in sorted((ROOT / "mutants" / "theory").glob("*.py.meta")):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def sample(names: list[str], count: int, seed: int) -> list[str]:
    """``count`` names (about), stratified by module: each module's share of ``count``, rounded, at
    least one, drawn with ``random.Random(seed)`` from the sorted names."""
    rng = random.Random(seed)
    by_module: dict[str, list[str]] = defaultdict(list)
    for n in sorted(names):
        by_module[n.rsplit(".", 1)[0]].append(n)
    picked = []
    for module, group in sorted(by_module.items()):
        k = max(1, round(count * len(group) / len(names)))
        picked += rng.sample(group, min(k, len(group)))
    return sorted(picked)


def equivalents() -> dict[str, str]:
    if not EQUIVALENT.exists():
        return {}
    out = {}
    for line in EQUIVALENT.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition("\t")
            out[name.strip()] = why.strip()
    return out


def score(picked: list[str], results: dict[str, int | None], equiv: dict[str, str]) -> dict:
    counted = [n for n in picked if n not in equiv]
    killed = [n for n in counted if results.get(n) in KILLED]
    survived = [n for n in counted if results.get(n) not in KILLED]
    modules = sorted({n.rsplit(".", 1)[0] for n in picked})
    return {"sample": len(picked), "equivalent": sorted(n for n in picked if n in equiv), "counted": len(counted),
            "killed": len(killed), "survived": survived, "score": len(killed) / len(counted) if counted else 0.0,
            "modules": modules, "untested": [n for n in picked if results.get(n) is None]}


def render(s: dict, seed: int, count: int, equiv: dict[str, str], total: int, note: str = "") -> str:
    lines = ["# Mutation testing of theory/", "",
             f"Command: `python benchmarks/mutation.py --seed {seed} --count {count} --write benchmarks/MUTATION.md` "
             f"(mutmut 3.8.1; the tests of `[tool.mutmut]` in pyproject.toml).", "",
             f"Sample: {s['sample']} of the {total} mutants of theory/, seed {seed}, over {len(s['modules'])} modules "
             f"({', '.join(m.split('.')[-1] for m in s['modules'])}).", "",
             f"**Score: {s['killed']} killed of {s['counted']} = {100 * s['score']:.1f}%** "
             f"({len(s['equivalent'])} equivalent mutants left out, named below).", "",
             *([note, ""] if note else []),
             "## Equivalent mutants (the program means the same thing)", ""]
    lines += [f"- `{n}`: {equiv[n]}" for n in s["equivalent"]] or ["- none"]
    lines += ["", "## Survivors", ""]
    lines += [f"- `{n}`" for n in s["survived"]] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--count", type=int, default=320)
    ap.add_argument("--write", type=Path, help="write the Markdown summary here")
    ap.add_argument("--score-only", action="store_true", help="score the mutants already run; run nothing")
    ap.add_argument("--note", default="", help="a paragraph for the Markdown summary (how the run went)")
    args = ap.parse_args(argv)
    if not args.score_only:
        mutmut("theory.common.x_*__mutmut_1")
    names = all_mutants()
    if not names:
        print("no mutants found under mutants/theory; is mutmut installed (pip install -e '.[mutation]')?",
              file=sys.stderr)
        return 2
    picked = sample(list(names), args.count, args.seed)
    if not args.score_only:
        mutmut(*picked)
        names = all_mutants()
    equiv = equivalents()
    s = score(picked, names, equiv)
    print(f"score {s['killed']}/{s['counted']} = {100 * s['score']:.1f}% over a sample of {s['sample']} "
          f"({len(s['equivalent'])} equivalent); {len(s['survived'])} survivors")
    for n in s["survived"]:
        print("  survived:", n, names.get(n))
    if args.write:
        args.write.write_text(render(s, args.seed, args.count, equiv, len(names), args.note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
