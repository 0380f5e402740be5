"""How well and how fast the specification importer reads the layouts found in the wild.

Run from the project root:  .venv/bin/python bench/importer.py

It builds its own data: the corpus of tests/fixtures/specs (each unit of units.py written in a
layout family's real shape, with the expected reading made from the same facts), reads every
specification with the importer (no database), and prints per family the criteria recalled
with their exact text, the criteria read that are not there, and the metadata recalled. When the
seed documents are present it also times the 39-unit handbook (seed 003). The last line is
machine-readable:
    importer: specs=N criteria_recall=R extra=X meta_recall=M ms_per_spec=T
"""

import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT / "tests" / "fixtures" / "specs"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
RUNS = 3


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(SPECS_DIR))
    from build import SPECS
    from score import Tally, tally

    from qualifications.importer import SpecParseError, parse_spec

    per_family: dict[str, Tally] = defaultdict(Tally)
    counts: dict[str, int] = defaultdict(int)
    total = Tally()
    seconds = 0.0
    for family, _name, text, expected in SPECS:
        best = None
        for _ in range(RUNS):
            start = time.perf_counter()
            try:
                units = parse_spec(text).to_json()["units"]
            except SpecParseError:
                units = []
            best = min(best or 1e9, time.perf_counter() - start)
        seconds += best
        result = tally(expected["units"], units)
        per_family[family].add(result)
        counts[family] += 1
        total.add(result)

    print(f"{'family':<18} {'specs':>5} {'criteria':>8} {'recall':>7} {'extra':>5} {'meta':>7}")
    for family in sorted(per_family):
        t = per_family[family]
        print(
            f"{family:<18} {counts[family]:>5} {t.criteria:>8} {t.found / t.criteria:>7.1%} "
            f"{t.extra:>5} {t.meta_found / t.meta if t.meta else 1:>7.1%}"
        )
    seed = next(SEEDS_DIR.glob("003_*.txt"), None)
    if seed is not None:
        text = seed.read_text(encoding="utf-8")
        start = time.perf_counter()
        result = parse_spec(text)
        took = time.perf_counter() - start
        print(
            f"seed 003 handbook: {len(result.units)} units, "
            f"{sum(u.criteria_count for u in result.units)} criteria in {took:.2f} s"
        )
    specs = len(SPECS)
    print(
        f"importer: specs={specs} criteria_recall={total.found / total.criteria:.3f} "
        f"extra={total.extra} meta_recall={total.meta_found / total.meta:.3f} "
        f"ms_per_spec={seconds * 1000 / specs:.1f}"
    )


if __name__ == "__main__":
    main()
