"""Integration API v1 (工单交换): JSON for CTI systems, channel gateways and departments."""

from hotline.blueprints.api import calls  # noqa: F401 - registers POST /calls on bp
from hotline.blueprints.api.v1 import bp

__all__ = ["bp"]

from hotline.blueprints.api import stats  # noqa: E402,F401 - registers GET /stats on bp
from hotline.blueprints.api import me  # noqa: E402,F401 - registers POST /me/password on bp
