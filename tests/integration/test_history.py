"""history_request: tail, range, search (glob, n, unique), output=True, and history
persisted across a kernel restart (under $JUPYTER_DATA_DIR/automl/)."""

import os
import uuid

import pytest



def history(kernel, **kw):
    content = {"output": False, "raw": True}
    content.update(kw)
    reply, iop = kernel.request("history_request", content)
    c = reply["content"]
    assert c["status"] == "ok"
    assert [m["content"]["execution_state"] for m in iop] == ["busy", "idle"]
    return c["history"]


@pytest.fixture(scope="module")
def marked(kernel):
    """Three cells with a unique marker, run in this module's kernel."""
    tag = uuid.uuid4().hex[:8]
    codes = [f"%echo hist-{tag}-1", f"%echo hist-{tag}-2", f"%echo hist-{tag}-3"]
    counts = []
    for code in codes:
        reply, _ = kernel.execute(code)
        assert reply["content"]["status"] == "ok"
        counts.append(reply["content"]["execution_count"])
    return tag, codes, counts


def test_tail(kernel, marked):
    tag, codes, counts = marked
    h = history(kernel, hist_access_type="tail", n=3)
    assert len(h) == 3
    assert [e[2] for e in h] == codes
    assert [e[1] for e in h] == counts
    sessions = {e[0] for e in h}
    assert len(sessions) == 1
    assert isinstance(h[0][0], int) and h[0][0] >= 1


def test_tail_with_output(kernel, marked):
    tag, codes, counts = marked
    h = history(kernel, hist_access_type="tail", n=3, output=True)
    assert len(h) == 3
    for entry, code in zip(h, codes):
        assert len(entry) == 3
        inp, out = entry[2]
        assert inp == code
        assert out is None or isinstance(out, str)


def test_range(kernel, marked):
    tag, codes, counts = marked
    session = history(kernel, hist_access_type="tail", n=1)[0][0]
    h = history(kernel, hist_access_type="range", session=session, start=counts[0],
                stop=counts[2])
    assert [e[1] for e in h] == counts[:2]          # stop is exclusive
    assert [e[2] for e in h] == codes[:2]
    assert all(e[0] == session for e in h), "range entries do not echo the session"
    h = history(kernel, hist_access_type="range", session=session, start=counts[1],
                stop=counts[1] + 1)
    assert len(h) == 1 and h[0][1:] == [counts[1], codes[1]]
    # session 0 means the current session; entries echo the 0 as requested
    h = history(kernel, hist_access_type="range", session=0, start=counts[0],
                stop=counts[2] + 1)
    assert [e[1:] for e in h] == [[n, c] for n, c in zip(counts, codes)]
    assert all(e[0] == 0 for e in h)


def test_search(kernel, marked):
    tag, codes, counts = marked
    h = history(kernel, hist_access_type="search", pattern=f"%echo hist-{tag}-*")
    assert [e[2] for e in h] == codes
    h = history(kernel, hist_access_type="search", pattern=f"*{tag}-2", n=10)
    assert [e[2] for e in h] == [codes[1]]
    h = history(kernel, hist_access_type="search", pattern=f"%echo hist-{tag}-?", n=2)
    assert [e[2] for e in h] == codes[1:], "n must keep the most recent matches"
    h = history(kernel, hist_access_type="search", pattern="no-such-input-*")
    assert h == []


def test_search_unique(kernel):
    tag = uuid.uuid4().hex[:8]
    for code in (f"%echo u-{tag}-a", f"%echo u-{tag}-b", f"%echo u-{tag}-a"):
        kernel.execute(code)
    h = history(kernel, hist_access_type="search", pattern=f"*u-{tag}-*")
    assert len(h) == 3
    h = history(kernel, hist_access_type="search", pattern=f"*u-{tag}-*", unique=True)
    assert sorted(e[2] for e in h) == [f"%echo u-{tag}-a", f"%echo u-{tag}-b"]


def test_unstored_cells_not_in_history(kernel):
    tag = uuid.uuid4().hex[:8]
    kernel.execute(f"%echo hidden-{tag}", store_history=False)
    kernel.execute(f"%echo silent-{tag}", silent=True)
    assert history(kernel, hist_access_type="search", pattern=f"*{tag}*") == []


def test_history_persists_across_restart(fresh_kernel, jupyter_dirs):
    k = fresh_kernel
    tag = uuid.uuid4().hex[:8]
    before = [f"%echo before-{tag}-1", f"%echo before-{tag}-2"]
    for code in before:
        k.execute(code)
    old_session = history(k, hist_access_type="tail", n=1)[0][0]
    assert os.path.isdir(os.path.join(os.environ["JUPYTER_DATA_DIR"], "automl")), \
        "no history under $JUPYTER_DATA_DIR/automl"

    k.km.restart_kernel(now=False)
    k.wait_ready()

    after = f"%echo after-{tag}"
    r, _ = k.execute(after)
    assert r["content"]["execution_count"] == 1, "execution count not reset by restart"
    h = history(k, hist_access_type="tail", n=3)
    assert [e[2] for e in h] == before + [after]
    new_session = h[2][0]
    assert h[0][0] == h[1][0] == old_session
    assert old_session < new_session
    h = history(k, hist_access_type="range", session=old_session, start=1, stop=100)
    assert [e[2] for e in h if tag in e[2]] == before
    assert all(e[0] == old_session for e in h)
    h = history(k, hist_access_type="search", pattern=f"*{tag}*")
    assert [e[2] for e in h] == before + [after]
