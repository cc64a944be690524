"""Importable response checks for the tests (a response_check must be importable by path)."""

import threading
import time

from triggers.http import HttpResponse


def version_over_100(response: HttpResponse) -> bool:
    return bool(response.json()["catalog"]["version"] > 100)


async def says_healthy(response: HttpResponse) -> bool:
    return "healthy" in response.text


def explodes(response: HttpResponse) -> bool:
    raise ConnectionResetError("the callable's own transient error")


def slow_but_healthy(response: HttpResponse) -> bool:
    time.sleep(0.3)  # a blocking callable: it must run in a thread, never on the triggerer's loop
    return True


#: One entry per call of ``counted_until_ready`` (list.append is atomic across threads).
CALLS: list[int] = []
READY = threading.Event()


def counted_until_ready(response: HttpResponse) -> bool:
    CALLS.append(response.status)
    return READY.is_set()


def keeps_what_it_likes(response: HttpResponse) -> bool:
    """Trim the parsed body in place, as a callable might: the wait's met value must not see it."""
    body = response.json()
    body.pop("version")
    body["status"] = "trimmed by the check"
    return True
