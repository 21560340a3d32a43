"""Sixteen independent tests, each making one request to a service that rejects load above K in flight.

pytest-xdist schedules tests only once every worker has collected, so with 8 workers 8 requests start
together and those above K (4) get 503; with 4 workers at most 4 are ever in flight and all pass.
"""
import urllib.error
import urllib.request

import pytest


@pytest.mark.parametrize("n", range(16))
def test_order_service_answers(service_url, n):
    try:
        with urllib.request.urlopen(f"{service_url}/orders/{n}", timeout=30) as res:
            assert res.status == 200
    except urllib.error.HTTPError as e:
        # pytrace=False: the cause is the answer, not urllib's frames.
        pytest.fail(f"order service answered {e.code} for order {n}: {e.read().decode().strip()}", pytrace=False)
