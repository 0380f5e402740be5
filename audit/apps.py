from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _use_sqlite_variable_limit(sender, connection, **kwargs):
    """Django assumes SQLite's old limit of 999 variables a statement and splits bulk inserts
    to fit; SQLite since 3.32 allows 32766. Using the connection's real limit lets a batched
    write (the trail of a move between versions) stay one statement for far more rows."""
    if connection.vendor != "sqlite":
        return
    import sqlite3

    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.features.max_query_params = max(999, limit)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        connection_created.connect(_use_sqlite_variable_limit, dispatch_uid="sqlite_var_limit")
