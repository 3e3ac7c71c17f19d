from distribution.models.newsletters import *  # noqa: F403
