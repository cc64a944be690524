"""One keep-alive aiohttp session per (origin, credentials) per event loop.

Every HTTP trigger in a triggerer shares the session for its origin and identity, so a
thousand sensors on one API reuse a handful of pooled connections instead of opening a thousand.
Identities are kept apart because a session carries a cookie jar: one caller's cookies must
never ride along with another's credentials.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp

from triggers.shared import SharedPool

#: Connections one session keeps open to its origin; more concurrent requests queue for one.
MAX_CONNECTIONS = 16
#: Seconds an idle pooled connection stays open (covers a poke_interval of a few seconds).
KEEPALIVE_SECONDS = 30.0

SessionKey = tuple[str, str]  # (origin, credentials fingerprint)


async def _open(key: SessionKey) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS)
    # trust_env off (aiohttp's default, said aloud): no proxy or .netrc credentials from the triggerer's environment
    return aiohttp.ClientSession(connector=connector, raise_for_status=False, trust_env=False)


async def _close(session: aiohttp.ClientSession) -> None:
    await session.close()


SESSIONS: SharedPool[SessionKey, aiohttp.ClientSession] = SharedPool(_open, _close)


@contextlib.asynccontextmanager
async def shared_session(origin: str, identity: str) -> AsyncIterator[aiohttp.ClientSession]:
    """Yield the session for ``origin`` and ``identity``, closed when its last user leaves."""
    async with SESSIONS.lease((origin, identity)) as session:
        yield session
