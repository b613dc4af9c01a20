"""The protocol conformance suite of jupyter_kernel_test, every test enabled."""

import os
import tempfile
import unittest

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel

import harness


class AutoMLKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = harness.KERNEL_NAME
    language_name = "automl"
    file_extension = ".automl"

    code_hello_world = "%echo hello, world"
    code_stderr = "%echo --stderr oops"
    completion_samples = [
        {"text": "%ec", "matches": {"%echo"}},
        {"text": "%vers", "matches": {"%version"}},
    ]
    complete_code_samples = ["%echo hi", "# comment", "", "%version\n%echo a"]
    incomplete_code_samples = ["%echo a \\", '%echo "abc']
    invalid_code_samples = ["hello", "%echo a\nhello"]
    code_page_something = "%echo?"
    code_generate_error = "%ech hi"
    code_execute_result = [{"code": "%version", "mime": "text/plain"}]
    code_display_data = [{"code": "%help", "mime": "text/plain"},
                         {"code": "%help", "mime": "text/html"}]
    # Glob over whole inputs: matches only "%version" (the code_execute_result cell),
    # which test_history runs several times: unique=True -> 1 entry, n=3 -> 3 entries.
    code_history_pattern = "%vers*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "%echo"
    code_clear_output = "%clear"

    @classmethod
    def setUpClass(cls):
        # A history of its own, so that the search counts above hold whatever other
        # modules ran before in this session.
        env = dict(os.environ)
        env["JUPYTER_DATA_DIR"] = tempfile.mkdtemp(
            prefix="kernel-tests-", dir=os.path.dirname(os.environ["JUPYTER_DATA_DIR"]))
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name,
                                          startup_timeout=harness.START_TIMEOUT, env=env)


EXPECTED_TESTS = {
    "test_kernel_info", "test_execute_stdout", "test_execute_stderr", "test_completion",
    "test_is_complete", "test_pager", "test_error", "test_execute_result",
    "test_display_data", "test_history", "test_inspect", "test_clear_output",
}
ATTRIBUTES = (
    "kernel_name", "language_name", "file_extension", "code_hello_world", "code_stderr",
    "completion_samples", "complete_code_samples", "incomplete_code_samples",
    "invalid_code_samples", "code_page_something", "code_generate_error",
    "code_execute_result", "code_display_data", "code_history_pattern",
    "supported_history_operations", "code_inspect_sample", "code_clear_output",
)


def test_every_conformance_test_is_configured():
    """The 12 tests of jupyter_kernel_test all have what they need (none can skip)."""
    found = {n for n in dir(jupyter_kernel_test.KernelTests) if n.startswith("test_")}
    assert found == EXPECTED_TESTS, f"jupyter_kernel_test changed: {sorted(found)}"
    missing = [a for a in ATTRIBUTES if not getattr(AutoMLKernelTests, a)]
    assert not missing, f"attributes left empty: {missing}"
    assert set(AutoMLKernelTests.supported_history_operations) == {"tail", "range", "search"}


if __name__ == "__main__":
    unittest.main()
