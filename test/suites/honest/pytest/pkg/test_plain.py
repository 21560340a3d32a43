from sample_env import ran, requested


class TestPlain:
    def test_passes(self):
        ran("plain.passes")

    def test_broken(self):
        ran("plain.broken")
        assert not requested("SAMPLE_FAIL"), "broken on request"
