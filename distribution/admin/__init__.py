from distribution.admin import newsletters, webhooks  # noqa: F401
