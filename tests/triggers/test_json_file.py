import pytest

from triggers.errors import PermanentError
from triggers.json_file import MissingFileError, TornFileError, read_json


async def test_reads_a_json_file(tmp_path) -> None:
    path = tmp_path / "orders.json"
    path.write_text('[{"id": 1}]')
    assert await read_json(str(path)) == [{"id": 1}]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param(None, MissingFileError, id="missing"),
        pytest.param("", TornFileError, id="empty"),
        pytest.param('[{"id": 1, "sta', TornFileError, id="half-written"),
        pytest.param(b"\xff\xfe", TornFileError, id="not-utf8"),
    ],
)
async def test_not_yet_readable_files_are_transient(tmp_path, content, error) -> None:
    path = tmp_path / "orders.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(error):
        await read_json(str(path))


async def test_a_missing_directory_is_transient(tmp_path) -> None:
    with pytest.raises(MissingFileError):
        await read_json(str(tmp_path / "not-yet" / "orders.json"))


async def test_a_directory_or_an_oversized_file_is_permanent(tmp_path) -> None:
    with pytest.raises(PermanentError, match="directory"):
        await read_json(str(tmp_path))
    big = tmp_path / "big.json"
    big.write_text("[" + "1," * 100 + "1]")
    with pytest.raises(PermanentError, match="larger"):
        await read_json(str(big), max_bytes=50)
