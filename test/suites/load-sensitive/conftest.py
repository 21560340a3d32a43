"""Shared fixture: the URL of the load service (test/load-service/server.mjs) from LOAD_SERVICE_URL."""
import os

import pytest


@pytest.fixture
def service_url():
    url = os.environ.get("LOAD_SERVICE_URL")
    if not url:
        pytest.fail(
            "LOAD_SERVICE_URL is not set: start `node test/load-service/server.mjs` and export its URL"
        )
    return url
