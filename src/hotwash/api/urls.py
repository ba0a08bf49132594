"""The JSON API under /api/v1/ (django-ninja); routers per domain app."""

from ninja import NinjaAPI

api = NinjaAPI(title="Hotwash API", version="1", urls_namespace="api")
