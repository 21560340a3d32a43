"""Environment contract of the sample suites (see ../README.md), Python side."""
import os

_APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND


def _state_dir():
    return os.environ.get("SAMPLE_STATE_DIR", "")


def ran(key):
    """Append `key` to $SAMPLE_STATE_DIR/ran.log with one O_APPEND write, so xdist workers never interleave."""
    state = _state_dir()
    if not state:
        return
    fd = os.open(os.path.join(state, "ran.log"), _APPEND, 0o644)
    try:
        os.write(fd, (key + "\n").encode())
    finally:
        os.close(fd)


def first_run(key):
    """True the first time per state dir: the marker is created with O_EXCL, so exactly one run sees it missing."""
    state = _state_dir()
    if not state:
        return False
    try:
        os.close(os.open(os.path.join(state, "flaky-%s.marker" % key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        return True
    except FileExistsError:
        return False


def requested(name):
    return os.environ.get(name) == "1"


def state_file(name):
    """Path of a file in the state dir ('' when unset)."""
    state = _state_dir()
    return os.path.join(state, name) if state else ""
