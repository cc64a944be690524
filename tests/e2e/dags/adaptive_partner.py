"""E2E DAG for AdaptiveFileSensor: one partner file per run, the interval learned across runs.

The run's conf names the drop directory (``{"dir": ...}``); the test writes the file. Timings are
the seed's scaled down (60 / 30 / 300 s -> 4 / 1 / 8 s). ``watch=False`` so every check is the
cadence's doing, which is what the test asserts; the file is written atomically, so no
completion rule is needed.
"""

from __future__ import annotations

from airflow.sdk import DAG

from sensors import AdaptiveFileSensor

with DAG(dag_id="adaptive_partner", schedule=None, catchup=False, max_active_runs=1, tags=["e2e", "adaptive"]):
    AdaptiveFileSensor(
        task_id="wait_partner",
        filepath="{{ dag_run.conf['dir'] }}/incoming/orders_*.csv",
        initial_interval=4,
        min_interval=1,
        max_interval=8,
        history_size=40,
        stable_for=0,
        watch=False,
        timeout=120,
        pool="adaptive_e2e",  # its own: the test reads its slots alone
    )
