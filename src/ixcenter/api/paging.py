"""Paging of long lists: ``?limit=&offset=`` on every listing, in a stable order (by id)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select

MAX_LIMIT = 10_000

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many items")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="skip this many items first")]


def page(query: S, limit: int, offset: int) -> S:
    return query.limit(limit).offset(offset)
