"""The Sensors page as HTML: 1,000 finished waits from a real metadata database, the charts' marks, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy.orm import Session

from dashboard.charts import MAX_LANES, attempt_timeline, interval_chart
from dashboard.model import TaskRef, finished_wait
from dashboard.page import render
from dashboard.queries import Filters, finished_waits, live_waits
from tests.support.metadata import SeededWait, insert_finished, report

pytestmark = pytest.mark.airflow_min(
    "3.3", reason="the dashboard is built on Airflow 3.3's UI plugin, auth and metadata APIs"
)


T0 = 1_800_000_000.0


def thousand_waits() -> list[SeededWait]:
    """1,000 waits over 10 DAGs: wait i took i % 7 + 1 attempts 10 s apart; every 10th timed out."""
    waits = []
    for i in range(1000):
        attempts = [(10.0 * k, "not_yet", 10.0) for k in range(i % 7)]
        outcome = "timeout" if i % 10 == 9 else "met"
        attempts.append((10.0 * (i % 7), "not_yet" if outcome == "timeout" else "met", None))
        kind = "AdaptiveFileSensor" if i % 2 else "OrderStatusSensor"
        rep = report(outcome, started=T0 + 60 * i, attempts=attempts, detail={"performance": {"success_rate": 0.5}})
        waits.append(SeededWait(f"dag_{i % 10}", f"run_{i:04d}", "wait", kind, rep))
    return waits


def test_a_thousand_finished_waits_render_one_row_each_with_their_numbers(session: Session) -> None:
    insert_finished(session, thousand_waits())
    history = finished_waits(session, {f"dag_{d}" for d in range(10)}, Filters())
    html = render(
        live=live_waits(session, {f"dag_{d}" for d in range(10)}, Filters()),
        history=history,
        filters=Filters(),
        dag_ids=[f"dag_{d}" for d in range(10)],
        kinds=["AdaptiveFileSensor", "OrderStatusSensor"],
        now=T0,
        elapsed_ms=1.0,
    )
    rows = re.findall(
        r'<tr class="history-row" data-dag="([^"]+)" data-task="wait" data-run="([^"]+)">(.*?)</tr>', html
    )
    assert len(rows) == 1000
    assert "(1000 finished waits)" in html
    newest_dag, newest_run, cells = rows[0]
    assert (newest_dag, newest_run) == ("dag_9", "run_0999")  # newest first
    # wait 999: 999 % 7 = 5 not-yet attempts then a last one -> 6 attempts, 50.01 s, timed out
    assert '<td class="num attempts">6</td>' in cells
    assert '<td class="num waited">50.0</td>' in cells
    assert '<td class="outcome-timeout">timeout</td>' in cells
    assert 'href="/dags/dag_9/runs/run_0999/tasks/wait" target="_top"' in cells
    assert html.count('class="summary-row"') == 10
    timeline = re.search(r'<svg class="chart timeline".*?</svg>', html)
    assert timeline is not None
    assert timeline.group(0).count('class="lane"') == MAX_LANES
    assert len(re.findall(r'<svg class="chart interval"', html)) == 5  # the adaptive tasks: odd DAGs


def test_the_timeline_puts_each_attempt_at_its_offset() -> None:
    task = TaskRef("d", "r", "t", -1, "OrderStatusSensor")
    wait = finished_wait(
        task, report("met", started=T0, attempts=[(0, "not_yet", 5.0), (5, "not_yet", 5.0), (10, "met", None)])
    )
    assert wait is not None
    svg = ET.fromstring(attempt_timeline([wait]))
    ns = {"s": "http://www.w3.org/2000/svg"}
    dots = svg.findall(".//s:circle", ns)
    assert [d.get("data-offset") for d in dots] == ["0.0", "5.0", "10.0"]
    assert [d.get("class") for d in dots][-1] == "attempt outcome-met"
    xs = [float(d.get("cx") or 0) for d in dots]
    assert xs[1] - xs[0] > 0
    assert xs[2] - xs[1] == pytest.approx(xs[1] - xs[0], abs=0.2)  # equal gaps in time, equal gaps on screen


def test_the_interval_chart_carries_its_numbers_and_escapes_titles() -> None:
    svg = interval_chart("<dag>.wait", [(T0 + 60, 45.0), (T0, 30.0), (T0 + 120, 90.0)], [(T0 + 120, 0.5)])
    root = ET.fromstring(svg)
    assert (root.get("data-points"), root.get("data-max"), root.get("data-last")) == ("3", "90", "90")
    assert "&lt;dag&gt;" in svg
    assert interval_chart("empty", []) == ""


def test_the_page_escapes_what_it_shows() -> None:
    task = TaskRef("d", "<script>x</script>", "t", 2, "S")
    wait = finished_wait(task, report("met", started=T0, attempts=[(0, "met", None)]))
    assert wait is not None
    html = render(live=[], history=[wait], filters=Filters(), dag_ids=["d"], kinds=[], now=T0, elapsed_ms=0.0)
    assert "<script>x" not in html
    assert "/dags/d/runs/%3Cscript%3Ex%3C%2Fscript%3E/tasks/t/mapped/2" in html


def test_the_interval_chart_of_an_adaptive_task_plots_its_stored_history() -> None:
    from triggers.adaptive.store import SensorHistory
    from triggers.history import Attempt

    task = TaskRef("files", "r1", "wait_file", -1, "AdaptiveFileSensor")
    wait = finished_wait(task, report("met", started=T0, attempts=[(0, "not_yet", 5.0), (5, "met", None)]))
    assert wait is not None
    stored = SensorHistory(
        attempts=(
            Attempt(T0 - 100, 0.1, "not_yet", interval=60.0),
            Attempt(T0 - 40, 0.1, "met"),
            Attempt(T0, 0.1, "not_yet", interval=90.0),
            Attempt(T0 + 90, 0.1, "met"),
        )
    )
    html = render(
        live=[],
        history=[wait],
        filters=Filters(),
        dag_ids=["files"],
        kinds=[],
        now=T0,
        elapsed_ms=0.0,
        learned={("files", "wait_file"): stored},
    )
    chart = ET.fromstring(re.search(r'<svg class="chart interval".*?</svg>', html).group(0))  # type: ignore[union-attr]
    assert (chart.get("data-points"), chart.get("data-last")) == ("2", "90")
    assert "history Variable: 4 attempts, success rate 50%" in (chart.get("aria-label") or "")
