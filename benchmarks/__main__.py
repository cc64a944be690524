"""Every benchmark in one run, ours beside Airflow's built-in triggers; a Markdown report.

    python -m benchmarks [--quick] [--skip stack,...] [--file-sizes 1000,10000,100000] ...

Sections (each trigger's ``run()`` is one asyncio task, as the triggerer drives it; all traffic
on 127.0.0.1; every loop bounded in count and time):

- ``files``: capacity, N concurrent file waits per process (benchmarks.files_scale);
- ``http``: 1,000 health waits on one loopback server in another process (benchmarks.http_load);
- ``latency``: detection latency, file / order / API (files_latency, orders_detection, http_load);
- ``orders``: N order waits on one table, the queries the shared probe sends (benchmarks.orders_shared),
  and the loop time of a NOTIFY at 10,000 waits on a channel (benchmarks.notify_dispatch);
- ``stack``: M sensors deferred at once through a real Airflow stack (benchmarks.stack_deferred);
- ``dashboard``: the Sensors view with N finished waits in history (benchmarks.dashboard_history).

Prints the report and writes it to benchmarks/RESULTS.md (``--output``). ``--quick`` is a smoke
run with tiny sizes and no real stack, in well under a minute.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
import time
from pathlib import Path

from benchmarks import sections
from benchmarks.measure import machine, markdown, quiet_logs

SECTIONS = ("files", "http", "latency", "orders", "stack", "dashboard")
RESULTS = Path(__file__).with_name("RESULTS.md")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no real stack: a smoke run")
    parser.add_argument("--skip", default="", help=f"comma-separated sections to leave out: {','.join(SECTIONS)}")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the Markdown report goes")
    files = parser.add_argument_group("files (capacity)")
    files.add_argument("--file-sizes", default="1000,10000,100000", help="concurrent waits per run")
    files.add_argument("--builtin-max", type=int, default=10000, help="largest N FileTrigger is run at")
    files.add_argument("--our-poll", type=float, default=60.0, help="our fallback poll (the sensor default)")
    files.add_argument("--builtin-poll", type=float, default=5.0, help="FileTrigger's poke_interval")
    files.add_argument("--file-window", type=float, default=10.0, help="seconds measured (at least one poll)")
    files.add_argument("--file-dirs", type=int, default=100, help="directories the waits are spread over")
    files.add_argument("--file-others", type=int, default=20, help="unrelated files in each directory")
    http = parser.add_argument_group("http")
    http.add_argument("--http-waits", type=int, default=1000)
    http.add_argument("--outage", type=float, default=30.0, help="seconds of 503")
    http.add_argument("--forbidden", type=float, default=10.0, help="seconds of 403")
    http.add_argument("--http-poll", type=float, default=5.0, help="poke interval of both HTTP triggers")
    http.add_argument("--checks", type=int, default=2000, help="healthy checks for CPU per check")
    latency = parser.add_argument_group("latency")
    latency.add_argument("--trials", type=int, default=100, help="concurrent waits per latency row")
    latency.add_argument("--latency-poll", type=float, default=5.0, help="poll interval of every latency row")
    orders = parser.add_argument_group("orders")
    orders.add_argument("--order-waits", type=int, default=1000, help="order waits on one table")
    orders.add_argument("--order-poll", type=float, default=1.0, help="their poll interval")
    orders.add_argument("--order-seconds", type=float, default=10.0, help="seconds counted")
    orders.add_argument("--notify-waits", type=int, default=10000, help="waits on one NOTIFY channel")
    parser.add_argument("--stack-sensors", type=int, default=50, help="sensors deferred on the real stack")
    parser.add_argument(
        "--stack-api-sensors", type=int, default=200, help="APIHealthSensors on one endpoint on the real stack"
    )
    parser.add_argument("--dashboard-waits", type=int, default=1000, help="finished waits in the Sensors view")
    args = parser.parse_args(argv)
    if args.quick:
        args.file_sizes, args.builtin_max, args.file_window, args.file_dirs, args.file_others = "200", 200, 1, 10, 5
        args.our_poll = args.builtin_poll = 1.0
        args.http_waits, args.outage, args.forbidden, args.http_poll, args.checks = 50, 2.0, 1.0, 1.0, 200
        args.trials, args.latency_poll = 10, 0.5
        args.order_waits, args.order_seconds, args.notify_waits = 50, 2.0, 100
        args.skip = ",".join(filter(None, [args.skip, "stack"]))
    unknown = set(filter(None, args.skip.split(","))) - set(SECTIONS)
    if unknown:
        parser.error(f"--skip: no section {sorted(unknown)}; sections are {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    quiet_logs(logging.CRITICAL)  # the built-ins log a warning per failed try; the tables are the output
    skip = set(args.skip.split(","))
    began = time.monotonic()
    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    parts = [
        "# Benchmarks: our triggers beside Airflow's built-in triggers",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC by `{command}`"
        + (" (**quick smoke run: tiny sizes, not a measurement**)" if args.quick else "")
        + ". Ratios are ours / built-in (below 1x: ours uses less, or is faster).",
        "",
        markdown(["machine", ""], list(machine().items())),
    ]
    results: dict[str, object] = {}
    for name in SECTIONS:
        if name in skip:
            parts += [
                "",
                f"## {sections.TITLES[name]}",
                "",
                f"Skipped (`--skip {name}`{' by --quick' if args.quick else ''}).",
            ]
            continue
        print(f"[benchmarks] {name} ...", file=sys.stderr, flush=True)
        section_began = time.monotonic()
        text, results[name] = sections.RUNNERS[name](args)
        parts += ["", f"## {sections.TITLES[name]}", "", text, "", f"_{time.monotonic() - section_began:.0f} s_"]
    parts += ["", "## Targets (issues 9 and 14)", "", sections.targets(results), ""]
    parts += [f"Total {time.monotonic() - began:.0f} s.", ""]
    report = "\n".join(parts)
    print(report)
    args.output.write_text(report)
    print(f"[benchmarks] written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
