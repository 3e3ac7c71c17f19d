from distribution.models.newsletters import *  # noqa: F403
from distribution.models.webhooks import *  # noqa: F403
