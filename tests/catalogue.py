"""The seed catalogue (fixtures/catalogue.json) for tests that need it.

`manage.py load_catalogue` reads 787 objects by their natural keys, a few thousand queries: a
few seconds a test on a slow machine, for a hundred tests. Here the command runs the first time
in a test process, and what it changed is kept in memory (the rows it added, with their ids
and each unit's evidence methods, and the rows the migrations made that it updated). A later
test whose catalogue tables are as the first one's were before loading gets the same rows in
one bulk insert a table; any other runs the command as usual. Tests of the command itself
call it directly.
"""

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from qualifications.catalogue import CATALOGUE_MODELS
from qualifications.models import Unit

# In the order the rows refer to each other: a unit's evidence methods after the unit.
_UNIT_METHODS = Unit.evidence_methods.through
_TABLES = [
    *CATALOGUE_MODELS[: CATALOGUE_MODELS.index(Unit) + 1],
    _UNIT_METHODS,
    *CATALOGUE_MODELS[CATALOGUE_MODELS.index(Unit) + 1 :],
]
_first: tuple[dict, dict] | None = None  # the tables before and after the first load


def _tables() -> dict[type, list[dict]]:
    return {model: list(model._default_manager.order_by("pk").values()) for model in _TABLES}


def load_seed_catalogue() -> None:
    """What `manage.py load_catalogue` loads, in this test's database."""
    global _first
    now = _tables()
    if _first is None or now != _first[0]:
        call_command("load_catalogue", verbosity=0)
        if _first is None:
            _first = (now, _tables())
        return
    before, after = _first
    for model in _TABLES:
        kept = {row["id"]: row for row in before[model]}
        added = [model(**row) for row in after[model] if row["id"] not in kept]
        changed = [row for row in after[model] if row["id"] in kept and row != kept[row["id"]]]
        model._default_manager.bulk_create(added)
        for row in changed:
            model._default_manager.filter(pk=row["id"]).update(**row)
    # PostgreSQL's sequences do not move for rows inserted with their ids.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), _TABLES):
            cursor.execute(sql)
