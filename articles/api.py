"""The read-only JSON API (stub: being written)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Newsroom API", urls_namespace="api")
