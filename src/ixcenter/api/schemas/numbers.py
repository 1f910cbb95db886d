"""Integer ranges the database columns can hold, so an oversized number is a 422, not a crash."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

Int32 = Annotated[int, Field(ge=-INT32_MAX - 1, le=INT32_MAX)]
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
PathId = Annotated[int, Path(ge=1, le=INT64_MAX, description="the object's id")]
