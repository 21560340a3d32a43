import pytest

from sample_env import first_run, ran, requested


class TestArith:
    def test_adds_two_numbers(self):
        ran("arith.add")
        assert 2 + 3 == 5

    def test_multiplies_two_numbers(self):
        ran("arith.multiply")
        assert 6 * 7 == 42

    def test_counter_settles_after_a_retry(self):
        ran("arith.flaky")
        state = "stale" if first_run("arith.flaky") else "settled"
        assert state == "settled"

    def test_divides_exactly(self, connection):
        ran("arith.broken")
        assert (7 / 2 if requested("SAMPLE_FAIL") else 6 / 2) == 3, "division left a remainder"

    @pytest.mark.skip(reason="rounding mode not decided yet")
    def test_rounds_half_to_even(self):
        ran("arith.skipped")


@pytest.mark.parametrize("n", [1, 2], ids=["param-1", "param-2"])
def test_param(n):
    ran("params.param-%d" % n)
    # Only param-2 is flaky: a rerun must select exactly that parametrization.
    assert not (n == 2 and first_run("params.param-2")), "param-2 hit a transient failure"
