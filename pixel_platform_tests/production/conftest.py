"""Fixtures of the production tests: a fresh PostgreSQL database per module.

The database lives on the machine's PostgreSQL (127.0.0.1:5432, trust auth; user ``postgres``,
else ``root``): ``CREATE DATABASE pixel_test_<random>``, dropped afterwards. Where no PostgreSQL
answers, the tests that need it are skipped with the reason. ``PgDatabase`` is in support.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from pixel_platform_tests.production.support import PgDatabase

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USERS = ("postgres", "root")


def _admin_connection() -> tuple[object, str]:
    import psycopg2

    errors = []
    for user in PG_USERS:
        try:
            conn = psycopg2.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="postgres", connect_timeout=5
            )
        except psycopg2.OperationalError as exc:
            errors.append(f"{user}: {str(exc).strip().splitlines()[0]}")
            continue
        conn.autocommit = True
        return conn, user
    reason = f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} ({'; '.join(errors)})"
    print(f"SKIP: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[PgDatabase]:
    """A fresh, empty database for one test module, dropped (with its connections) afterwards."""
    conn, user = _admin_connection()
    name = f"pixel_test_{secrets.token_hex(6)}"
    with conn.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PgDatabase(PG_HOST, PG_PORT, user, name)
    finally:
        with conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item (``rep_call``), so fixtures can tell a failed test
    from a passed one when they tear down (the UI test saves a screenshot of a failure)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
