"""A busy directory costs a wait at most one scan per debounce window, whatever the event rate."""

import asyncio
import sys

from tests.triggers.files.test_trigger import first_report, trigger
from triggers.files import FileCheck
from triggers.files.check import DEBOUNCE_SECONDS

BUSY_SECONDS = 2.0

# Another process (no GIL shared with the loop under test) writing small .csv files as fast as it
# can for BUSY_SECONDS: one CLOSE_WRITE event each. Prints how many it wrote per second.
CHURN = """
import os, sys, time
directory, name, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
count, end = 0, time.monotonic() + seconds
while time.monotonic() < end:
    fd = os.open(f"{directory}/{name}-{count % 3}.csv", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.write(fd, b"x")
    os.close(fd)
    count += 1
print(count / seconds)
"""
#: Writer processes: on a machine shared with other work, one alone may not reach 1,000 events/s.
WRITERS = 4


async def test_a_thousand_events_a_second_cost_one_scan_per_debounce_window(tmp_path) -> None:
    # Never met (no file is big enough), so every event that woke the wait would cost a scan.
    waiting = trigger(FileCheck(f"{tmp_path}/*.csv", min_size=10**9), seconds=BUSY_SECONDS)
    writers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHURN, str(tmp_path), f"w{n}", str(BUSY_SECONDS), stdout=asyncio.subprocess.PIPE
        )
        for n in range(WRITERS)
    ]
    report = await first_report(waiting, within=BUSY_SECONDS + 10)
    rate = sum([float((await writer.communicate())[0]) for writer in writers])
    assert report.outcome == "timeout"
    assert rate >= 1000, f"only {rate:.0f} events/s: the test did not drive enough"
    assert 2 <= report.attempts <= BUSY_SECONDS / DEBOUNCE_SECONDS + 2, (report.attempts, rate)
