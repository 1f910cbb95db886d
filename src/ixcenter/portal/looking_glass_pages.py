"""The looking glass pages (public and member views of the route servers)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["portal"])
