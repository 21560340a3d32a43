"""A module that cannot be imported until the suite ran once (per state dir): a collection error in
every xdist worker of the first run, so none of its tests runs then. SAMPLE_IMPORT_BROKEN=1: never
importable. SAMPLE_IMPORT_PER_WORKER=1: only worker gw0 fails to import it, so the workers collect
different tests (xdist then reports the other worker, `gw1`, as a collection failure)."""
import os

from sample_env import ran, requested, state_file

if requested("SAMPLE_IMPORT_PER_WORKER"):
    if os.environ.get("PYTEST_XDIST_WORKER") == "gw0":
        raise ImportError("the driver module is missing on this worker")
elif requested("SAMPLE_IMPORT_BROKEN") or not os.path.exists(state_file("imports.deployed")):
    raise ImportError("the driver module is not deployed yet")


def test_reads_rows():
    ran("imports.reads")


def test_writes_rows():
    ran("imports.writes")
