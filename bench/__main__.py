"""Run the benchmarks and print a table.

- ``python -m bench [--quick]``: P1, P2, P5, P6, P7 (one completion, history, PDFs, replay, bytes);
- ``python -m bench queues [--sizes 10000 1000000] [--backends sqlite postgresql] [--smoke]``: P3;
- ``python -m bench throughput [--clients 4] [--seconds 10] [--backends …] [--smoke]``: P4;
- ``python -m bench replay [--cases 2000] [--workers 2] [--documents] [--backend sqlite] [--smoke]``: P6 at scale
  (every case of a database built through the engine, verified in parallel, extrapolated to 100,000).
"""

import argparse
import sys

from . import history_cost, step_cost

BACKENDS = ("sqlite", "postgresql")


def _engine_benchmarks(quick: bool) -> None:
    rows = step_cost.run(repeats=5 if quick else 40)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>10}  {'p90':>10}")
    for name, median, p90 in rows:
        print(f"{name:<{width}}  {median * 1000:>8.2f}ms  {p90 * 1000:>8.2f}ms")
    app, bare = rows[0][1], rows[1][1]
    print(f"P1 ratio app / bare SpiffWorkflow: {app / bare:.1f}× (target ≤ 3×)")
    print()
    for name, median, note in history_cost.run(repeats=3 if quick else 20):
        figure = f"{median * 1000:8.2f}ms" if median else " " * 10
        print(f"{name:<{width}}  {figure}  {note}")


def _queues(args) -> None:
    from . import queue_cost  # noqa: PLC0415 - only this command needs the generator

    sizes = [200, 2_000] if args.smoke else args.sizes
    results = queue_cost.run(sizes, args.backends, repeats=3 if args.smoke else args.repeats)
    print("\n".join(queue_cost.report(results)))


def _throughput(args) -> None:
    from . import throughput  # noqa: PLC0415

    options = throughput.Options(clients=args.clients, seconds=args.seconds, workers=args.workers,
                                 threads=args.threads, follow=not args.no_follow, per_client=args.per_client)
    if args.smoke:
        options = throughput.Options(clients=2, seconds=1.0, workers=1, threads=2, per_client=12, warmup=1)
    print("\n".join(throughput.report(throughput.run(args.backends, options))))


def _replay(args) -> None:
    from . import replay_cost  # noqa: PLC0415

    cases, workers = (12, 2) if args.smoke else (args.cases, args.workers)
    print("\n".join(replay_cost.report(replay_cost.run(cases, workers, args.backend, args.documents))))


def main(argv: list[str]) -> int:
    """Parse the command line and run the benchmarks asked for."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions, for a smoke run")
    commands = parser.add_subparsers(dest="command")
    queues = commands.add_parser("queues", help="P3: the task queue page at two database sizes")
    queues.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000], help="cases per database")
    queues.add_argument("--repeats", type=int, default=40, help="repetitions per user and view")
    throughput = commands.add_parser("throughput", help="P4: task completions per second over HTTP")
    throughput.add_argument("--clients", type=int, default=4, help="client threads (one township each, ≤ 15)")
    throughput.add_argument("--seconds", type=float, default=10.0, help="how long the clients post")
    throughput.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    throughput.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    throughput.add_argument("--no-follow", action="store_true", help="do not load the queue after each POST")
    throughput.add_argument("--per-client", type=int, default=0,
                            help="applications seeded per client (default: enough for 160 completions/s)")
    replay = commands.add_parser("replay", help="P6: replay-verify every case of a database, in parallel")
    replay.add_argument("--cases", type=int, default=2_000, help="cases built through the engine")
    replay.add_argument("--workers", type=int, default=2, help="verifying processes")
    replay.add_argument("--documents", action="store_true", help="also re-render every document")
    replay.add_argument("--backend", choices=BACKENDS, default="sqlite")
    replay.add_argument("--smoke", action="store_true", help="a tiny run that only shows it works")
    for sub in (queues, throughput):
        sub.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
        sub.add_argument("--smoke", action="store_true", help="a tiny run that only shows it works")
    args = parser.parse_args(argv)
    if args.command == "queues":
        _queues(args)
    elif args.command == "throughput":
        _throughput(args)
    elif args.command == "replay":
        _replay(args)
    else:
        _engine_benchmarks(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
