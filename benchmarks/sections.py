"""The sections of ``python -m benchmarks``: each runs its benchmark and returns (Markdown, raw results).

The raw results feed :mod:`benchmarks.targets`, which holds them against the issue's targets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow.providers.http.triggers.http import HttpSensorTrigger

from benchmarks import (
    dashboard_history,
    files_latency,
    files_scale,
    http_load,
    notify_dispatch,
    orders_detection,
    orders_shared,
    stack_deferred,
    stack_shared_api,
)
from benchmarks.files_setup import KINDS
from benchmarks.http_health import closed_port, ours, refused_outcome
from benchmarks.measure import PORTAL, Lag, markdown, percentile, ratio
from benchmarks.targets import targets
from tests.support.postgres import fresh_database

__all__ = ["RUNNERS", "TITLES", "targets"]

TITLES = {
    "files": "Capacity: concurrent file waits in one process",
    "http": "HTTP health: load on the watched API, loop lag, CPU",
    "latency": "Detection latency: condition true -> trigger event",
    "orders": "Orders: waits on one table share each query",
    "stack": "Real Airflow stack: sensors deferred at once",
    "dashboard": "Sensors view: history of finished waits, queried and rendered",
}


def _lag(result: dict[str, Any]) -> Lag:
    return Lag(result["lag_p50"], result["lag_p99"], result["lag_max"], result["lag_warnings"])


def files(args: argparse.Namespace) -> tuple[str, dict[tuple[str, float, int], dict[str, Any]]]:
    """Capacity per N: ours (shared inotify, fallback poll) and FileTrigger, each N in a fresh process."""
    rows: list[list[object]] = []
    results: dict[tuple[str, float, int], dict[str, Any]] = {}
    failed: dict[tuple[str, float, int], str] = {}
    sizes = [int(s) for s in args.file_sizes.split(",")]
    largest_builtin = max((s for s in sizes if s <= args.builtin_max), default=None)
    # The harness alone (no wait: the loop, the lag probe's 50 ms sleeps, the imports) costs CPU
    # too, more than 10,000 idle waits of ours add to it; "net" subtracts it from every row.
    harness = files_scale.run_child("airflow", args.builtin_poll, 0, args.file_dirs, args.file_window, 0)["cpu"]
    for size in sizes:
        configs = [("inotify", args.our_poll)]
        if size <= args.builtin_max:
            configs += [("inotify", args.builtin_poll)] if args.builtin_poll != args.our_poll else []
            configs += [("airflow", args.builtin_poll)]
        if size == largest_builtin:  # both again as the triggerer runs them: each in a greenback portal
            configs += [("inotify" + PORTAL, args.builtin_poll), ("airflow" + PORTAL, args.builtin_poll)]
        for kind, poll in configs:
            try:
                results[(kind, poll, size)] = files_scale.run_child(
                    kind, poll, size, args.file_dirs, args.file_window, args.file_others
                )
            except subprocess.SubprocessError as error:  # one size failing must not lose the others
                failed[(kind, poll, size)] = f"failed: {type(error).__name__} {str(error)[-200:]}"
        for kind, poll in configs:
            suffix = PORTAL if kind.endswith(PORTAL) else ""
            reference = results.get(("airflow" + suffix, args.builtin_poll, size), {})
            if (kind, poll, size) in failed:
                rows.append([f"{size:,}", f"{kind}, poll {poll:g}s", failed[(kind, poll, size)], *[""] * 11])
                continue
            r = results[(kind, poll, size)]
            name = "FileTrigger" if kind.startswith("airflow") else "ours (FileWatchTrigger, inotify)"
            name += ", in a greenback portal" if kind.endswith(PORTAL) else ""
            cpu_min_k = r["cpu"] * 60 / (size / 1000)  # CPU s per minute of waiting, per 1,000 waits
            net_min_k = max(r["cpu"] - harness, 0.0) * 60 / (size / 1000)
            reference_net = max(reference.get("cpu", 0) - harness, 0.0) * 60 / (size / 1000)
            r["cpu_min_k"], r["net_cpu_min_k"] = cpu_min_k, net_min_k
            lag = _lag(r)
            rows.append(
                [
                    f"{size:,}",
                    f"{name}, poll {poll:g}s",
                    f"{r['start_seconds']:.1f}",
                    f"{r['rss_per_trigger'] / 1024:.2f}",
                    ratio(r["rss_per_trigger"], reference.get("rss_per_trigger", 0)),
                    f"{cpu_min_k:.3f}",
                    ratio(cpu_min_k, reference.get("cpu", 0) * 60 / (size / 1000)),
                    f"{net_min_k:.3f}",
                    ratio(net_min_k, reference_net),
                    lag.ms(),
                    ratio(lag.p99, reference.get("lag_p99", 0)),
                    lag.warnings,
                    f"{r['detected'] * 1000:.0f}",
                    f"{r['instances']}/{r['watches']}",
                ]
            )
        if size > args.builtin_max:
            rows.append([f"{size:,}", "FileTrigger", *["skipped: above --builtin-max"], *[""] * 11])
    headers = ["N", "trigger", "start s", "RSS KiB/wait", "ratio", "CPU s/min per 1k waits", "ratio"]
    headers += ["net of harness", "ratio"]
    headers += ["loop lag ms p50/p99/max", "p99 ratio", "lags > 200 ms", "detect ms", "inotify fds/watches"]
    note = (
        f"N waits spread over {args.file_dirs} directories holding {args.file_others} other files each; half exact"
        f" paths, half globs. Each row is a fresh process; measured over max({args.file_window:g} s, poll) after"
        " the loop settles; CPU is the whole process (loop and worker threads); net of harness subtracts what the"
        f" same process with no wait costs ({harness * 60:.3f} CPU s/min: the loop, the lag probe);"
        " lag is the overshoot of a 50 ms sleep (the triggerer warns at 200 ms; one long stall is one sample,"
        " so read max beside p99);"
        " detect = the slower of one exact path and one glob written."
        " Ratios vs FileTrigger at the same N (rows in a greenback portal vs FileTrigger in one: Airflow's"
        " TriggerRunner.run_trigger opens one in each trigger's task)."
    )
    return note + "\n\n" + markdown(headers, rows), results


def http(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """Load on one loopback server (another process) from N waits of each kind, CPU per check, refused,
    and how soon each of N waits sees the API recover after the whole outage."""
    n = args.http_waits
    results: dict[Any, Any] = {}
    with http_load.api() as base:
        for label, path, seconds in (("503", "/down", args.outage), ("403", "/forbidden", args.forbidden)):
            for kind in http_load.KINDS:
                results[(label, kind)] = http_load.load(kind, base, path, seconds, n, args.http_poll)
        cpu = http_load.cpu_per_check(base, args.checks)
    results["cpu"] = cpu
    results["shape"] = (n, args.http_poll, args.forbidden)
    asked = results["recovery_requests"] = {}
    results["recovery"] = http_load.healthy_latencies(
        n, args.http_poll, args.outage, http_load.RECOVERY_KINDS, requests=asked
    )
    closed = closed_port()
    os.environ["AIRFLOW_CONN_BENCH_REFUSED"] = f'{{"conn_type": "http", "host": "127.0.0.1", "port": {closed}}}'
    within = min(3.0, args.outage)
    refused = {
        "ours": refused_outcome(ours(f"http://127.0.0.1:{closed}", "/api/health"), within),
        "airflow": refused_outcome(
            HttpSensorTrigger(endpoint="/api/health", http_conn_id="bench_refused"),
            within,
        ),
    }
    results["refused"] = refused
    rows: list[list[object]] = []
    for label, seconds in (("503", args.outage), ("403", args.forbidden)):
        a, u, b = (results[(label, kind)] for kind in http_load.KINDS)
        what = f"{seconds:g} s of {label}"
        rows.append([f"requests/s, {what}", *(f"{x.requests_per_second:.2f}" for x in (a, u, b))])
        rows[-1].append(ratio(a.requests_per_second, b.requests_per_second))
        rows.append([f"distinct TCP connections, {what}", a.connections, u.connections, b.connections])
        rows[-1].append(ratio(a.connections, b.connections))
        rows.append([f"loop lag ms p50/p99/max, {what}", a.lag.ms(), u.lag.ms(), b.lag.ms()])
        rows[-1].append(ratio(a.lag.p99, b.lag.p99))
        rows.append([f"lags > 200 ms, {what}", a.lag.warnings, u.lag.warnings, b.lag.warnings, ""])
        rows.append([f"client CPU s per minute, {what}", *(f"{x.cpu_per_minute:.1f}" for x in (a, u, b))])
        rows[-1].append(ratio(a.cpu_per_minute, b.cpu_per_minute))
    recovery = results["recovery"]
    for share, name in ((0.5, "p50"), (0.99, "p99")):
        seen = {kind: percentile(values, share) for kind, values in recovery.items()}
        what = f"recovery seen after {args.outage:g} s of 503, s {name}"
        rows.append([what, *(f"{seen[kind]:.2f}" for kind in http_load.KINDS), ratio(seen["ours"], seen["airflow"])])
        for kind, how in (
            ("steady", "no backoff (backoff_factor=1)"),
            ("announced", "the 503s saying when (Retry-After)"),
        ):
            rows.append([f"{what}, {how}", f"{seen[kind]:.2f}", "", f"{seen['airflow']:.2f}"])
            rows[-1].append(ratio(seen[kind], seen["airflow"]))
    what = f"requests from the {args.outage:g} s of 503 until every wait saw the recovery"
    rows.append([what, asked["ours"], asked["unshared"], asked["airflow"], ratio(asked["ours"], asked["airflow"])])
    for kind, how in (("steady", "no backoff (backoff_factor=1)"), ("announced", "the 503s saying when (Retry-After)")):
        rows.append([f"{what}, {how}", asked[kind], "", asked["airflow"], ratio(asked[kind], asked["airflow"])])
    rows.append(["CPU µs per healthy check", f"{cpu['ours'] * 1e6:.0f}", "", f"{cpu['airflow'] * 1e6:.0f}"])
    rows[-1].append(ratio(cpu["ours"], cpu["airflow"]))
    rows.append(
        [
            "bare keep-alive aiohttp GET, µs",
            f"{cpu['bare'] * 1e6:.0f}",
            "",
            "",
            f"ours {ratio(cpu['ours'], cpu['bare'])} of bare",
        ]
    )
    rows.append([f"connection refused (first {within:g} s)", refused["ours"], "", refused["airflow"], ""])
    note = (
        f"{n} waits of each kind, poll {args.http_poll:g} s, on one server (tests.support.http_server, its own"
        " process) that counts requests and distinct client ports. Ours shares one probe per request (the"
        " default) or, with share_probe=False, sends each wait's own. Client CPU per minute covers all waits;"
        f" CPU per check: the best of {http_load.CPU_ROUNDS} interleaved runs of {args.checks} sequential healthy"
        f" checks each, after a warm-up. Recovery: {n} waits started at uniform"
        f" phases over one poll, the API answering 503 for {args.outage:g} s, then healthy; in the Retry-After"
        " rows its 503s carry the seconds left (benchmarks.api_flip). Logging is off."
    )
    headers = ["measure", "HttpHealthTrigger", "share_probe=False", "HttpSensorTrigger", "ratio"]
    return note + "\n\n" + markdown(headers, rows), results


def _json_rows(trials: int, poll: float) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-orders-json-") as tmp:
        return asyncio.run(orders_detection.json_latencies(Path(tmp), trials, poll))


def _sql_rows(trials: int, poll: float) -> dict[str, list[float]]:
    with fresh_database("ads_bench_all") as database:
        os.environ["AIRFLOW_CONN_ORDERS_BENCH"] = database.airflow_uri
        asyncio.run(orders_detection.create_orders(database, trials))
        return {
            "NOTIFY": asyncio.run(orders_detection.latencies(database, trials, None)),
            "polling": asyncio.run(orders_detection.latencies(database, trials, poll)),
        }


def _file_rows(trials: int, poll: float) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="bench-files-latency-") as tmp:
        return {kind: asyncio.run(files_latency.latencies(kind, Path(tmp), trials, poll)) for kind in KINDS}


def latency(args: argparse.Namespace) -> tuple[str, dict[str, list[float]]]:
    """Detection latency rows: file created, order status changed, API turned healthy."""
    n, poll = args.trials, args.latency_poll
    found = {f"file: {k}": v for k, v in _file_rows(n, poll).items()}
    found |= {f"order (PostgreSQL): {k}": v for k, v in _sql_rows(n, poll).items()}
    found["order (JSON store): polling"] = _json_rows(n, poll)
    found |= {f"API healthy: {k}": v for k, v in http_load.healthy_latencies(n, poll, 2 * poll).items()}
    names = {
        "file: inotify": ("file created", "ours, inotify", "file: airflow"),
        "file: polling": ("file created", "ours, polling only (watch=False)", "file: airflow"),
        "file: airflow": ("file created", "FileTrigger", None),
        "order (PostgreSQL): NOTIFY": (
            "order status changed, PostgreSQL",
            "ours, LISTEN/NOTIFY",
            "order (PostgreSQL): polling",
        ),
        "order (PostgreSQL): polling": ("order status changed, PostgreSQL", "ours, polling", None),
        "order (JSON store): polling": ("order status changed, JSON store", "ours, polling", None),
        "API healthy: ours": ("API turned healthy after 2 polls of 503", "HttpHealthTrigger", "API healthy: airflow"),
        "API healthy: unshared": (
            "API turned healthy after 2 polls of 503",
            "HttpHealthTrigger, share_probe=False",
            "API healthy: airflow",
        ),
        "API healthy: airflow": ("API turned healthy after 2 polls of 503", "HttpSensorTrigger", None),
    }
    rows: list[list[object]] = []
    for key, (event, who, against) in names.items():
        values = found[key]
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        versus = ratio(p50, percentile(found[against], 0.5)) if against else ""
        rows.append([event, who, f"{p50 * 1000:.1f}", f"{p99 * 1000:.1f}", f"{max(values) * 1000:.1f}", versus])
    note = (
        f"{n} concurrent waits per row, poll {poll:g} s for every kind; conditions turn true at random moments over"
        " one poll interval (the API: all at once after two polls of 503, waits started at random phases)."
        " Ratio: p50 vs the built-in (for orders, NOTIFY vs polling)."
    )
    return note + "\n\n" + markdown(["event", "trigger", "p50 ms", "p99 ms", "max ms", "p50 ratio"], rows), found


OrderRuns = tuple[orders_shared.SharedOrders, notify_dispatch.Dispatch]


def orders(args: argparse.Namespace) -> tuple[str, OrderRuns]:
    """N order waits on one SQLite table: queries per poll interval with the shared probe; then the
    loop time a NOTIFY costs at M waits on one channel."""
    result = orders_shared.run(args.order_waits, args.order_poll, args.order_seconds)
    notify = notify_dispatch.run(args.notify_waits)
    rows: list[list[object]] = [
        ["waits (one order each) on one table", f"{result.waits:,}"],
        ["started together: queries until each had its first answer", result.start_queries],
        ["started together: seconds until each had its first answer", f"{result.start_seconds:.1f}"],
        [f"queries in {result.seconds:g} s, poll {result.poll:g} s", result.queries],
        ["queries per poll interval", f"{result.queries_per_poll:.2f}"],
        ["looks (the queries they would send alone, share_probe=False)", f"{result.looks:,}"],
        ["loop lag ms p50/p99/max", result.lag.ms()],
        [f"NOTIFY on a channel {notify.waits:,} waits listen on: loop ms per notification", f"{notify.keyed_ms:.3f}"],
        ["  the same, each wait parsing the payload itself", f"{notify.per_wait_ms:.1f}"],
    ]
    note = (
        "benchmarks.orders_shared: a SQLite file with orders 1..N, all pending; one DbPollTrigger per order."
        " benchmarks.notify_dispatch: the listener's notification callback (what asyncpg calls on the loop),"
        " driven directly with no database: our cost alone."
    )
    return note + "\n\n" + markdown(["measure", "value"], rows), (result, notify)


StackRuns = tuple[stack_deferred.StackRun, stack_shared_api.SharedRun]


def stack(args: argparse.Namespace) -> tuple[str, StackRuns]:
    """M FileArrivalSensors deferred at once on a real stack; then M' APIHealthSensors on one endpoint."""
    run = stack_deferred.run(args.stack_sensors)
    api = stack_shared_api.run(args.stack_api_sensors)
    rows: list[list[object]] = [
        ["sensors deferred at once (one DAG run)", run.sensors],
        ["stack startup, s", f"{run.startup_seconds:.0f}"],
        ["run triggered -> all deferred, s", f"{run.all_deferred_seconds:.1f}"],
        ["default pool running slots while they wait (max of samples)", run.max_running_slots],
        ["default pool deferred slots (min of samples)", run.deferred_slots],
        ["distinct triggerer jobs holding them", run.triggerers],
        ["triggerer process tree RSS, MiB", f"{run.triggerer_rss_mib:.0f}"],
        ["all files written -> run finished, s", f"{run.released_seconds:.1f}"],
        ["run state", run.state],
        [f"{api.sensors} APIHealthSensors on one URL: triggered -> deferred, s", round(api.all_deferred_seconds, 1)],
        ["  distinct triggerer jobs holding them", api.triggerers],
        [
            f"  requests while they deferred ({api.deferring_seconds:.0f} s), less one worker check per sensor",
            api.looks_while_deferring,
        ],
        [f"  requests to the mock API while all waited {api.hold_seconds:g} s", api.requests_while_waiting],
        [f"  most requests in any {api.poll:g} s (one poke interval)", api.most_in_one_poll],
        ["  API healthy -> run finished, s", f"{api.recovered_seconds:.1f}"],
        ["  sensors succeeded / run state", f"{api.succeeded} / {api.state}"],
    ]
    note = (
        "devstack.AirflowStack (api-server, scheduler, dag-processor, triggerer; LocalExecutor, parallelism 8,"
        " SQLite) on a temporary DAGs folder: one DAG of M FileArrivalSensors (half globs, poke 60 s); then a"
        " stack with one DAG of APIHealthSensors on the seed's mock API (poke 5 s, no backoff), in maintenance"
        " until counted, then healthy (benchmarks.stack_shared_api)."
    )
    return note + "\n\n" + markdown(["measure", "value"], rows), (run, api)


def dashboard(args: argparse.Namespace) -> tuple[str, list[dashboard_history.Timing]]:
    """The Sensors view's page work (queries + HTML) with N finished waits, per metadata database."""
    results = dashboard_history.run(args.dashboard_waits)
    cost = dashboard_history.observer_cost()
    note = (
        "Airflow's schema, N task instances with their `sensor_report` XComs and 50 deferred waits with progress"
        " Variables; the first (cold) page build, then median and worst wall and median CPU of 6 warm ones."
        f" The progress observer adds {cost:.1f} µs to an attempt that writes nothing."
    )
    return note + "\n\n" + dashboard_history.table(results), results


RUNNERS: dict[str, Callable[[argparse.Namespace], tuple[str, Any]]] = {
    "files": files,
    "http": http,
    "latency": latency,
    "orders": orders,
    "stack": stack,
    "dashboard": dashboard,
}
