from tests.support.http_server import http_server
from tests.support.postgres import postgres_db

__all__ = ["http_server", "postgres_db"]
