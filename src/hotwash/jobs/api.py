"""API routes for background jobs, mounted under /api/v1/."""

from __future__ import annotations

from ninja import Router

router = Router()
