from distribution.admin import newsletters  # noqa: F401
