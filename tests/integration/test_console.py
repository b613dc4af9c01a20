"""A real `jupyter console --kernel automl` session in a pseudo-terminal (pexpect)."""

import os
import sys
import time

import pexpect
import pytest

from harness import SLOW

pytestmark = pytest.mark.console
TIMEOUT = 30 * SLOW


@pytest.fixture
def console(jupyter_dirs):
    env = dict(os.environ, TERM="xterm", COLUMNS="120", LINES="40")
    child = pexpect.spawn(
        "/usr/bin/python3", ["-m", "jupyter_console", "--kernel", "automl", "--simple-prompt"],
        env=env, encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 120))
    transcript = []

    class Log:
        def write(self, s):
            transcript.append(s)

        def flush(self):
            pass

    child.logfile_read = Log()
    child.transcript = transcript
    yield child
    if child.isalive():
        child.terminate(force=True)
    sys.stdout.write("".join(transcript))


def expect(child, pattern, what):
    try:
        child.expect(pattern)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        raise AssertionError(f"{what}: {type(e).__name__}; console said:\n"
                             + "".join(child.transcript)[-3000:]) from None


def test_console_session(console):
    c = console
    expect(c, r"In \[1\]: ", "no first prompt")
    # jupyter_client 7's wait_for_ready returns on the kernel_info reply without
    # confirming that the iopub subscription is in place (its SUB socket retries the
    # connection every 100 ms), so output of a cell typed within that window can be
    # lost. A person never types that fast; the pause keeps the test about the kernel.
    time.sleep(0.5)
    c.sendline("%echo hi")
    expect(c, r"\r\nhi\r\n", "%echo hi printed nothing")
    expect(c, r"In \[2\]: ", "no second prompt")

    c.sendline("%version")
    expect(c, r"Out\[2\]: automl-kernel \S+", "%version shows no Out[2]")
    expect(c, r"In \[3\]: ", "no third prompt")

    c.sendline("%ech hi")
    expect(c, r"UsageError", "typo shows no UsageError")
    expect(c, r"echo", "typo error suggests no %echo")
    expect(c, r"In \[\d\]: ", "no prompt after the error")

    c.sendline("exit")
    expect(c, pexpect.EOF, "`exit` did not end the console session")
    c.close()
    assert c.exitstatus == 0, f"console exit status {c.exitstatus}"
    assert "Traceback" not in "".join(c.transcript)
