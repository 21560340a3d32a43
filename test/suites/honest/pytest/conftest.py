import os
import sys

# sample_env lives next to this file; the tests import it from pkg/.
sys.path.insert(0, os.path.dirname(__file__))

from sample_env import state_file  # noqa: E402


def pytest_sessionfinish(session):
    # The controller (not an xdist worker) "deploys" the module at the end of the first run.
    if not hasattr(session.config, "workerinput") and state_file("imports.deployed"):
        open(state_file("imports.deployed"), "a").close()
