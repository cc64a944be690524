from tests.support.http_server import http_server

__all__ = ["http_server"]
