"""The looking glass API: route servers' sessions and routes, prefix look-ups, searches."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["looking glass"])
