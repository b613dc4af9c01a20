"""Fixtures for the kernel integration tests.

The tests talk to the kernelspec "automl" resolved through JUPYTER_PATH (the Makefile
points it at build/$(BUILD)/jupyter) and to the binary $AUTOML_KERNEL. When pytest is
run by hand without them, they default to build/$AUTOML_BUILD (release).

Every test session gets its own Jupyter data/runtime/config dirs: the kernel keeps its
history under $JUPYTER_DATA_DIR/automl/, which must never be the user's.
"""

import os

import pytest

import harness

os.environ.setdefault("JUPYTER_PATH", str(harness.REPO / "build" / harness.BUILD / "jupyter"))
os.environ.setdefault("AUTOML_KERNEL", harness.KERNEL_BIN)


@pytest.fixture(scope="session", autouse=True)
def jupyter_dirs(tmp_path_factory):
    """Isolated JUPYTER_DATA_DIR / JUPYTER_RUNTIME_DIR / JUPYTER_CONFIG_DIR / IPYTHONDIR."""
    root = tmp_path_factory.mktemp("jupyter")
    mp = pytest.MonkeyPatch()
    dirs = {}
    for var, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTER_CONFIG_DIR", "config"), ("IPYTHONDIR", "ipython")):
        d = root / sub
        d.mkdir()
        mp.setenv(var, str(d))
        dirs[var] = d
    yield dirs
    mp.undo()


@pytest.fixture(scope="module")
def kernel(jupyter_dirs):
    """A kernel "automl" shared by the tests of one module."""
    k = harness.ManagedKernel()
    yield k
    k.shutdown()


@pytest.fixture
def fresh_kernel(jupyter_dirs):
    """A kernel "automl" of the test's own."""
    k = harness.ManagedKernel()
    yield k
    k.shutdown()


@pytest.fixture
def raw_kernel_factory(jupyter_dirs):
    """Start $AUTOML_KERNEL on our own connection file; all are closed at teardown."""
    started = []

    def start(transport="tcp", key=None, ready=True):
        k = harness.RawKernel(transport=transport, key=key)
        started.append(k)
        if ready:
            k.wait_ready()
        return k

    yield start
    for k in started:
        k.close()


@pytest.fixture(scope="module")
def raw_kernel(jupyter_dirs):
    """One raw (subprocess + plain zmq) kernel over tcp, shared by a module."""
    k = harness.RawKernel()
    k.wait_ready()
    yield k
    k.close()


# ---- no skipped tests -------------------------------------------------------------------
# Every test here must run: a skip (including a jupyter_kernel_test test skipped because
# an attribute is missing) is turned into a failure.

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"test was skipped, which this suite does not allow: {reason}"
