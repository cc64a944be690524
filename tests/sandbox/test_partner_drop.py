import pytest

from sandbox.partner_drop import PartnerDrop


def test_a_chunked_upload_is_torn_until_its_last_step_then_marked(tmp_path) -> None:
    drop = PartnerDrop(tmp_path / "in" / "orders.csv", content=b"0123456789", chunks=3, marker_suffix=".done")
    steps = drop.steps()
    seen = []
    for _, action in steps:
        action()
        seen.append((drop.target.read_bytes(), drop.marker.exists()))
    assert seen == [(b"012", False), (b"012345", False), (b"0123456789", False), (b"0123456789", True)]


def test_an_atomic_drop_appears_whole_under_its_name(tmp_path) -> None:
    drop = PartnerDrop(tmp_path / "orders.csv", content=b"0123456789", chunks=2, atomic=True)
    first, *rest = drop.steps()
    first[1]()
    assert not drop.target.exists()
    assert (tmp_path / ".orders.csv.part").read_bytes() == b"01234"
    for _, action in rest:
        action()
    assert drop.target.read_bytes() == b"0123456789"
    assert not (tmp_path / ".orders.csv.part").exists()


def test_the_pauses_are_the_delay_then_one_per_further_chunk() -> None:
    drop = PartnerDrop("/in/orders.csv", delay=5, chunks=3, chunk_pause=0.5)
    assert [pause for pause, _ in drop.steps()] == [5, 0.5, 0.5, 0.0]


def test_a_thread_delivers(tmp_path) -> None:
    drop = PartnerDrop(tmp_path / "orders.csv", delay=0.05, marker_suffix=".done")
    drop.start().join(timeout=5)
    assert drop.marker.exists()


async def test_asyncio_delivers(tmp_path) -> None:
    drop = PartnerDrop(tmp_path / "orders.csv", delay=0.05, chunks=2, chunk_pause=0.05)
    assert (await drop.adeliver()).read_bytes() == drop.content


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"chunks": 0}, "chunks", id="no-chunks"),
        pytest.param({"delay": -1}, "delay", id="negative-delay"),
    ],
)
def test_invalid_settings_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        PartnerDrop("/in/orders.csv", **kwargs)
