"""`GET /`: the demo page, a static page that builds its form from `/v1/model`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/")
async def read_demo_page() -> FileResponse:
    """The demo page."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
