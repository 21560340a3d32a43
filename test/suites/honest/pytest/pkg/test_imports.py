"""A module that cannot be imported until the suite ran once (per state dir): a collection error
in every xdist worker of the first run, so none of its tests runs then."""
import os

from sample_env import ran, state_file

if not os.path.exists(state_file("imports.deployed")):
    raise ImportError("the driver module is not deployed yet")


def test_reads_rows():
    ran("imports.reads")


def test_writes_rows():
    ran("imports.writes")
