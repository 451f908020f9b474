"""`make bench-ab`: this checkout's service against another commit's, side by side.

A machine shared with other work moves by tens of percent between runs, so the two designs are
measured in alternating rounds on one model (`bench.prepare` once): each round runs `bench.run`
from a worktree of BASE and from this checkout, with this venv. The table gives, per round and
design, the service at the largest concurrency against the limit measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_bench(tree: Path, out: Path, report: Path, extra: list[str]) -> dict[str, Any]:
    """`bench.run` with the code of `tree` (first on the path) on the prepared `out`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "bench.run", str(out), *extra]
    with report.open("w") as log:
        subprocess.run(command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    results: dict[str, Any] = json.loads((out / "bench.json").read_text())
    (report.with_suffix(".json")).write_text(json.dumps(results))
    return results


def row(round_: int, name: str, results: dict[str, Any]) -> str:
    """One line: the limit, the service at its largest concurrency, the ratio, event-loop CPU."""
    limit = results["limit"]["best_rate"]
    service = next(t for t in results["targets"] if t["name"] == "service")
    top = max(service["results"], key=lambda r: r["clients"])
    threads = service["threads"].get(str(top["clients"]), {})
    loop = threads.get("MainThread", 0.0)
    return (
        f"| {round_} | {name} | {limit:.0f} | {top['clients']} | {top['rate']:.0f} "
        f"| {top['rate'] / limit:.0%} | {loop:.2f} | {sum(threads.values()):.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="Output folder (prepared here if it is not).")
    parser.add_argument("--base", default="main", help="The commit to compare with.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds.")
    parser.add_argument("--bench-args", default="--skip training,scoring", help="For bench.run.")
    args = parser.parse_args()
    out = args.out.resolve()
    if not (out / "model.json").is_file():
        subprocess.run([sys.executable, "-m", "bench.prepare", str(out)], cwd=ROOT, check=True)
    lines = [
        "| round | code | limit (examples/s) | clients | service (req/s) | service / limit "
        "| event loop CPU ms/request | all threads CPU ms/request |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-base-") as tmp:
        base = Path(tmp) / "base"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", str(base), args.base], check=True)
        try:
            trees = {f"{args.base}": base, "this checkout": ROOT}
            for round_ in range(1, args.rounds + 1):
                for name, tree in trees.items():
                    report = out / f"ab-{round_}-{name.replace(' ', '-')}.log"
                    results = run_bench(tree, out, report, args.bench_args.split())
                    lines.append(row(round_, name, results))
                    sys.stderr.write(lines[-1] + "\n")
        finally:
            subprocess.run([*git, "remove", "--force", str(base)], check=True)
    table = "\n".join(lines) + "\n"
    (out / "side-by-side.md").write_text(table)
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
