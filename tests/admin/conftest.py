"""Each request of an admin test gets its own ``g`` (language, user), as in production."""

from tests.security.conftest import _fresh_g_per_request  # noqa: F401 - an autouse fixture
