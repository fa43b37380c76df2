"""Django's PostgreSQL backend, for connections that prepare the statements they repeat
(config.settings, DATABASE_PREPARED_STATEMENTS).

A prepared statement keeps its plan on the connection. When another process changes the
type of a column it reads (a migration making a field longer, while the web processes
still hold their connections), PostgreSQL refuses that plan ("cached plan must not change
result type") every time, until the connection is closed. Outside a transaction the
connection then forgets its prepared statements and runs the statement once more; inside
one, the transaction's rollback makes psycopg forget them.
"""

from collections.abc import Callable
from typing import Any

from django.db import NotSupportedError
from django.db.backends.postgresql import base

STALE_PLAN = "cached plan must not change result type"


def _replan_after_schema_change(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    try:
        return execute(sql, params, many, context)
    except NotSupportedError as exc:
        connection = context["connection"]
        if STALE_PLAN not in str(exc) or not connection.get_autocommit():
            raise
        # psycopg reads the command's status and forgets its own names for them too.
        connection.connection.execute("DEALLOCATE ALL")
        return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute_wrappers.insert(0, _replan_after_schema_change)
