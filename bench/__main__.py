"""Run the benchmarks and print a table: `python -m bench [--quick]`."""

import argparse
import sys

from . import history_cost, step_cost


def main(argv: list[str]) -> int:
    """Run every benchmark; --quick uses fewer repetitions (a smoke run)."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="few repetitions, for a smoke run")
    args = parser.parse_args(argv)
    rows = step_cost.run(repeats=5 if args.quick else 40)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>10}  {'p90':>10}")
    for name, median, p90 in rows:
        print(f"{name:<{width}}  {median * 1000:>8.2f}ms  {p90 * 1000:>8.2f}ms")
    app, bare = rows[0][1], rows[1][1]
    print(f"P1 ratio app / bare SpiffWorkflow: {app / bare:.1f}× (target ≤ 3×)")
    print()
    for name, median, note in history_cost.run(repeats=3 if args.quick else 20):
        figure = f"{median * 1000:8.2f}ms" if median else " " * 10
        print(f"{name:<{width}}  {figure}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
