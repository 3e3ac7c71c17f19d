from distribution.admin import webhooks  # noqa: F401
