"""Sync Task SDK calls from a trigger reach the supervisor through the triggerer's own loop.

Airflow 3.1's triggerer serves a sync SDK call (``Variable.get``, ``mask_secret``) with asgiref's
``async_to_sync``. Run from a plain thread (``asyncio.to_thread``, what this library did before)
that starts a second event loop, which reads the supervisor's channel beside the triggerer's
("Response read out of order", and the trigger runner stops: seen on a 3.1.8 stack). These tests
pin the property that prevents it, on whichever Airflow is installed.
"""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from asgiref.sync import async_to_sync

from triggers.compat import call_sdk


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def sync_sdk_call() -> asyncio.AbstractEventLoop:
    """What 3.1's ``TriggerCommsDecoder.send`` does: run the async send through ``async_to_sync``."""
    return async_to_sync(_running_loop)()


async def test_a_sync_sdk_call_runs_its_request_on_the_callers_loop() -> None:
    assert await call_sdk(sync_sdk_call) is asyncio.get_running_loop()


async def test_the_old_way_ran_it_on_a_second_loop() -> None:
    """The defect: ``asyncio.to_thread`` gives async_to_sync no loop to return to."""
    assert await asyncio.to_thread(sync_sdk_call) is not asyncio.get_running_loop()


async def test_sync_sdk_calls_leave_the_loop_free() -> None:
    release = threading.Event()
    call = asyncio.ensure_future(call_sdk(release.wait, 5))
    await asyncio.sleep(0.05)  # the loop runs on while the call blocks in its thread
    assert not call.done()
    release.set()
    assert await call is True


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_can_make_sdk_calls() -> None:
    """A task process is forked: a call must not wait on a thread that stayed in the parent."""
    assert asyncio.run(call_sdk(sum, (1, 2))) == 3  # the parent has used the machinery
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the call completes
        try:
            os._exit(0 if asyncio.run(asyncio.wait_for(call_sdk(sum, (2, 3)), 5)) == 5 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
