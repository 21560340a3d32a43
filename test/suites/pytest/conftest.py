import pytest

from sample_env import ran, requested


@pytest.fixture
def connection():
    """A resource whose teardown breaks with SAMPLE_TEARDOWN_ERROR=1 (pytest then reports failure + error)."""
    yield "conn"
    if requested("SAMPLE_TEARDOWN_ERROR"):
        raise RuntimeError("connection did not close cleanly")


@pytest.fixture
def config():
    """With SAMPLE_ERROR=1 the setup raises: pytest reports an <error>, distinct from an assertion failure."""
    ran("text.error")
    if requested("SAMPLE_ERROR"):
        raise KeyError("retries")
    return {"retries": 2}
