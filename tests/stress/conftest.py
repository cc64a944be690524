from tests.support.postgres import postgres_db  # noqa: F401  # the fixture, for the tests here
