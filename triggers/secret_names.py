"""Which names and URLs carry secrets, how a URL is shown safely, and refusing them as arguments.

A secret given as an argument would travel in trigger kwargs, which Airflow keeps in its
metadata DB as plain text unless ``[core] fernet_key`` is set. So a URL with ``user:pass@`` or
a credential query parameter (``?api_key=...``, ``?sig=...``, ``?X-Amz-Signature=...``), a
credential-looking header and a callable's keyword argument named like a secret are refused when
the DAG is parsed, pointing to an Airflow connection. A URL that reaches a log line, a report or
an XCom (a redirect target may be a presigned URL) goes through :func:`masked_url` first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from triggers.errors import ConfigurationError

#: Why a secret must not be an argument: the reason every refusal gives.
KWARGS_EXPOSED = (
    "sensor arguments are stored in Airflow's metadata DB in every mode: in the DAG's code, and as "
    "trigger kwargs (plain text unless [core] fernet_key is set) when deferred"
)
#: What replaces a secret in a masked URL.
MASK = "***"

#: Parts of a query-parameter or argument name that mark a secret wherever they appear.
_STRONG_HINTS = "token|secret|passw(or)?d|api[-_]?key|credential|signature|cookie|session|authorization|private_?key"
_STRONG = re.compile(_STRONG_HINTS)
#: Parts of a header name that mark its value as a credential: the strong ones, and any ``auth`` or ``private``.
_CREDENTIAL = re.compile(f"auth|private|{_STRONG_HINTS}")
#: Whole words of a name that mark a secret (``auth`` as a word, so ``author`` is not one).
_SECRET_WORDS = frozenset({"auth", "pwd", "pass", "sig", "jwt", "sas", "hmac"})
#: Words that make ``key`` a secret's name (``access_key``, ``subscription-key``, not ``sort_key``).
_KEY_QUALIFIERS = frozenset({"api", "access", "private", "secret", "client", "signing", "subscription", "master"})
#: Query-parameter names (lower case) that are secrets on their own.
_SECRET_QUERY_NAMES = frozenset({"key", "sig", "pwd", "pass", "jwt", "sas"})
#: Query-parameter prefixes of signed cloud URLs: every one of their parameters is screened.
_SECRET_QUERY_PREFIXES = ("x-amz-", "x-goog-")


def looks_like_credential(name: str) -> bool:
    """Return True when a header called ``name`` probably carries a secret."""
    return _CREDENTIAL.search(name.lower()) is not None


def is_secret_name(name: str) -> bool:
    """Return True when an argument or parameter called ``name`` (any case) probably carries a secret."""
    lowered = name.lower()
    if _STRONG.search(lowered):
        return True
    words = set(re.split(r"[^a-z0-9]+", lowered))
    return bool(words & _SECRET_WORDS) or ("key" in words and bool(words & _KEY_QUALIFIERS))


def is_secret_query_name(name: str) -> bool:
    """Return True when a URL query parameter called ``name`` (any case) probably carries a secret."""
    lowered = name.lower()
    return lowered in _SECRET_QUERY_NAMES or lowered.startswith(_SECRET_QUERY_PREFIXES) or is_secret_name(lowered)


def refuse_credential_url(url: str, argument: str) -> None:
    """Raise ConfigurationError naming ``argument`` when ``url`` carries a credential (userinfo, a query parameter)."""
    try:
        parts = urlsplit(url)
        userinfo = parts.username is not None or parts.password is not None
    except ValueError:  # an unparsable URL is judged (and refused) by whoever validates URLs
        return
    secrets = (f"query parameter {n!r}" for n, _ in parse_qsl(parts.query, True) if is_secret_query_name(n))
    found = "user:password@" if userinfo else next(secrets, None)
    if found is not None:
        raise ConfigurationError(
            argument,
            f"{found} in {masked_url(url)} looks like a credential: {KWARGS_EXPOSED}; put it in an Airflow "
            "connection and pass http_conn_id instead (the connection's password, login or extra)",
        )


@functools.lru_cache(maxsize=1024)  # a pure function of the URL, asked on every HTTP check
def masked_url(url: str) -> str:
    """Return ``url`` without userinfo and with the values of credential query parameters as ``***``."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return MASK if "@" in url or "?" in url else url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = (f"[{host}]" if host and ":" in host else host or "") + (f":{port}" if port else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_query_name(name) for name, _ in pairs):
            query = "&".join(
                f"{quote(name, safe='')}={MASK if is_secret_query_name(name) else quote(value, safe='')}"
                for name, value in pairs
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def refuse_secret_arguments(values: Any, argument: str) -> None:
    """Raise ConfigurationError when a name in ``values`` (nested too) is a secret's or a value a credential URL.

    ``argument`` names the mapping in the message (``kwargs['api_token']``).
    """
    for path, key, value in _walk(values, argument):
        if key is not None and is_secret_name(key):
            raise ConfigurationError(
                path,
                f"the name looks like a credential: {KWARGS_EXPOSED}; read the secret inside the function from an "
                "Airflow connection (BaseHook.get_connection / aget_connection) and pass its conn id instead",
            )
        if isinstance(value, str) and "://" in value:
            refuse_credential_url(value, path)


def _walk(value: Any, path: str, key: str | None = None) -> Iterator[tuple[str, str | None, Any]]:
    yield path, key, value
    if isinstance(value, Mapping):
        for name, item in value.items():
            yield from _walk(item, f"{path}[{name!r}]", str(name))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
