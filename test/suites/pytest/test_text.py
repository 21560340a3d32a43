import pytest

from sample_env import first_run, ran

# pytest escapes non-ASCII in parametrize ids by default (\xfc, \u2713, and doubles the backslash);
# the function name keeps raw unicode. Both are what real suites produce.
HOSTILE = "hostile \"double\" 'single' [param-1] ünïcødé ✓ .*+?^$()|{}\\"


class TestText:
    def test_joins_words(self):
        ran("text.join")
        assert "-".join(["a", "b"]) == "a-b"

    def test_upper_cases_ascii(self):
        ran("text.upper")
        assert "abc".upper() == "ABC"

    def test_reconnects_after_a_dropped_connection(self):
        ran("text.flaky")
        assert not first_run("text.flaky"), "connection dropped"

    @pytest.mark.parametrize("label", [HOSTILE], ids=[HOSTILE])
    def test_hostile_ünïcødé(self, label):
        ran("text.hostile")
        assert not first_run("text.hostile"), "connection dropped"

    def test_parses_the_config(self, config):
        assert config["retries"] == 2
