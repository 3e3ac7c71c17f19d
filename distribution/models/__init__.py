from distribution.models.webhooks import *  # noqa: F403
