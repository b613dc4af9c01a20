"""notebooks/00-hello.ipynb executed headless by nbclient with kernel "automl"."""

import nbformat
import pytest
from nbclient import NotebookClient

from harness import REPO, SLOW

pytestmark = pytest.mark.notebook
NOTEBOOK = REPO / "notebooks" / "00-hello.ipynb"


@pytest.fixture(scope="module")
def executed(jupyter_dirs):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata.kernelspec.name == "automl"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                "the notebook is stored with outputs"
    client = NotebookClient(nb, kernel_name="automl", timeout=int(60 * SLOW),
                            allow_errors=False, record_timing=False)
    client.execute(cwd=str(NOTEBOOK.parent))
    return nb


def code_cell(nb, source_start):
    cells = [c for c in nb.cells if c.cell_type == "code" and
             c.source.lstrip().startswith(source_start)]
    assert cells, f"no code cell starting with {source_start!r}"
    return cells[0]


def test_language_info(executed):
    li = executed.metadata.language_info
    assert li.name == "automl" and li.file_extension == ".automl"


def test_no_errors(executed):
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert all(o.output_type != "error" for o in cell.outputs), cell.source


def test_execution_counts(executed):
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))


def test_version_cell(executed):
    cell = code_cell(executed, "%version")
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1
    assert results[0].data["text/plain"].startswith("automl-kernel ")


def test_help_cell(executed):
    cell = code_cell(executed, "%help")
    shown = [o for o in cell.outputs if o.output_type == "display_data"]
    assert shown and "text/html" in shown[0].data and "text/plain" in shown[0].data
    assert "echo" in shown[0].data["text/html"]


def test_echo_cell(executed):
    cell = code_cell(executed, "%echo")
    text = "".join(o.text for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")
    assert text.strip(), "the %echo cell printed nothing"


def test_sleep_cell(executed):
    cell = code_cell(executed, "%sleep")
    assert all(o.output_type != "error" for o in cell.outputs)


def test_every_code_cell_ran(executed):
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None


def test_comment_cell(executed):
    cell = code_cell(executed, "#")
    assert [o.output_type for o in cell.outputs] == ["stream"]
    assert cell.outputs[0].text == "comments are skipped\n"


def test_pager_cell_has_no_error(executed):
    cell = code_cell(executed, "%echo?")
    assert [o for o in cell.outputs if o.output_type in ("error", "stream")] == []


def test_stderr_in_echo_cell(executed):
    cell = code_cell(executed, "%echo hello")
    streams = {o.name: o.text for o in cell.outputs if o.output_type == "stream"}
    assert streams.get("stdout") == "hello, world\n"
    assert "stderr" in streams.get("stderr", "")
