"""Time every lesson notebook top to bottom ("Restart and Run All"), as a learner would.

    python benchmarks/bench_notebooks.py            # time each lesson (fresh kernel each)
    python benchmarks/bench_notebooks.py --write    # ... and store the outputs in the files
    python benchmarks/bench_notebooks.py notebooks/03_momentum.ipynb --repeat 3

Targets (issue "The lesson notebooks"): each lesson <= 10 s on a 2-core CPU, the whole
course <= 60 s. The time is wall-clock from kernel start to the last cell's end,
median over ``--repeat`` runs. ``--write`` is how the committed outputs are made:
it refuses to write a notebook whose run printed to stderr or raised.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from lrcourse import notebook_json

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path) -> tuple[float, nbformat.NotebookNode]:
    """Run ``path`` in a fresh kernel from its own folder; return (seconds, notebook)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start, notebook


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Stored stderr or error outputs (a learner would see them)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" or output.get("name") == "stderr":
                text = output.get("text") or output.get("evalue", "")
                found.append(f"cell {index}: {text.strip()[:300]}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook (median is reported)")
    parser.add_argument("--write", action="store_true", help="store the executed outputs in the files")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

    total, failed = 0.0, False
    print(f"{'notebook':42s} {'median s':>9s} {'runs':>5s}")
    for path in paths:
        times, notebook = [], None
        for _ in range(args.repeat):
            seconds, notebook = execute(path)
            times.append(seconds)
        median = statistics.median(times)
        total += median
        issues = problems(notebook)
        flag = "  <-- over 10 s" if median > 10 else ""
        print(f"{path.name:42s} {median:9.2f} {len(times):5d}{flag}")
        for issue in issues:
            print(f"    stderr/error: {issue}")
        failed |= bool(issues)
        if args.write and not issues:
            notebook_json.write(notebook, path)
    print(f"{'whole course (sum of medians)':42s} {total:9.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
