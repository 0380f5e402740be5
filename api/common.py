"""What every resource shares: the answers it documents, pagination and id parameters."""

from typing import Annotated

from ninja import Path, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import Field

from api.schemas import MAX_ID, Error

# Every operation may answer these besides its own success.
READ_ERRORS = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
WRITE_ERRORS = {**READ_ERRORS, 400: Error}

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class Pages(LimitOffsetPagination):
    """`?limit=` (1–100, default 50) and `?offset=`; answers `{"items": […], "count": n}`."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=100)
        offset: int = Field(0, ge=0, le=10_000_000)


class Rows:
    """A queryset that the paginator slices, made into rows as the slice is read:
    `to_rows(objects)` turns one page of objects into rows, with any reads it needs done once
    for the page (so a page costs the same queries however long it is)."""

    def __init__(self, queryset, to_rows):
        self.queryset, self.to_rows = queryset, to_rows

    def __getitem__(self, key):
        return self.to_rows(list(self.queryset[key]))

    def __len__(self):
        return self.queryset.count()
