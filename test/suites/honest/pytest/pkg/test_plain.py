from sample_env import first_run, ran, requested


class TestPlain:
    def test_passes(self):
        ran("plain.passes")

    def test_flaky(self):
        ran("plain.flaky")
        assert not first_run("plain.flaky"), "flaky: fails the first time"

    def test_broken(self):
        ran("plain.broken")
        assert not requested("SAMPLE_FAIL"), "broken on request"
