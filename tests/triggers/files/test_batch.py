import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from triggers import file_io
from triggers.errors import PermanentError
from triggers.files.batch import batched_scan
from triggers.files.pattern import FilePattern


class CountingExecutor(ThreadPoolExecutor):
    """An executor counting the jobs it is given."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.jobs = 0

    def submit(self, *args, **kwargs):
        self.jobs += 1
        return super().submit(*args, **kwargs)


@pytest.fixture
async def default_executor():
    """The loop's default executor, counting: file scans must never use it."""
    counting = CountingExecutor()
    asyncio.get_running_loop().set_default_executor(counting)
    yield counting
    counting.shutdown(wait=True)


@pytest.fixture
async def executor(monkeypatch, default_executor):
    """The library's file I/O pool, counting (the boundary: the executor, not our code)."""
    counting = CountingExecutor()
    monkeypatch.setattr(file_io, "_pool", counting)
    yield counting
    counting.shutdown(wait=True)


async def test_scans_asked_for_together_go_to_one_worker_job(tmp_path, executor, default_executor) -> None:
    (tmp_path / "a-7.csv").write_text("x")
    patterns = [FilePattern.parse(f"{tmp_path}/a-{i}.csv") for i in range(50)]
    scans = await asyncio.gather(*(batched_scan(p, None) for p in patterns))
    assert (executor.jobs, default_executor.jobs) == (1, 0)
    assert [i for i, found in enumerate(scans) if found.files] == [7]


async def test_each_caller_gets_its_own_error(tmp_path, executor) -> None:
    (tmp_path / "dir.csv").mkdir()
    (tmp_path / "ok.csv").write_text("x")
    results = await asyncio.gather(
        batched_scan(FilePattern.parse(f"{tmp_path}/dir.csv"), None),
        batched_scan(FilePattern.parse(f"{tmp_path}/ok.csv"), None),
        return_exceptions=True,
    )
    assert isinstance(results[0], PermanentError)
    assert results[1].files[0].path == f"{tmp_path}/ok.csv"


async def test_a_caller_that_gives_up_leaves_the_others_their_answers(tmp_path, executor) -> None:
    (tmp_path / "ok.csv").write_text("x")
    leaving = asyncio.ensure_future(batched_scan(FilePattern.parse(f"{tmp_path}/gone.csv"), None))
    staying = asyncio.ensure_future(batched_scan(FilePattern.parse(f"{tmp_path}/ok.csv"), None))
    await asyncio.sleep(0)
    leaving.cancel()
    assert (await staying).files
    assert leaving.cancelled()


def test_listings_come_due_on_a_shared_beat_at_most_an_eighth_of_the_interval_late() -> None:
    from triggers.files.batch import MIN_BEAT, on_beat

    for delay in (0.05, 1.0, 4.6, 5.0, 60.0, 300.0):
        dues = [on_beat(now, delay) for now in (1000.0, 1000.013, 1000.2, 1000.31)]
        for now, due in zip((1000.0, 1000.013, 1000.2, 1000.31), dues, strict=True):
            assert now + delay <= due <= now + delay + max(delay / 8, MIN_BEAT)
    for delay in (1.0, 4.6, 5.0, 60.0):  # directories due a few ms apart are listed together
        assert on_beat(1000.02, delay) == on_beat(1000.033, delay)
    assert on_beat(10.0, 0.0) == 10.0
