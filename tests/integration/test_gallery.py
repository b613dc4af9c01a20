"""notebooks/gallery.ipynb — every chart kind through %plot — executed headless by
nbclient; each %plot cell must show one sharp PNG chart of the declared logical size."""

import base64
import struct

import nbformat
import pytest
from nbclient import NotebookClient

from harness import REPO, SLOW

pytestmark = pytest.mark.notebook
NOTEBOOK = REPO / "notebooks" / "gallery.ipynb"


@pytest.fixture(scope="module")
def executed(jupyter_dirs):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], "the notebook is stored with outputs"
    client = NotebookClient(nb, kernel_name="automl", timeout=int(120 * SLOW),
                            allow_errors=False, record_timing=False)
    client.execute(cwd=str(NOTEBOOK.parent))
    return nb


def png_size(data):
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def plot_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("%plot")]


def test_every_plot_cell_shows_one_hidpi_chart(executed):
    cells = plot_cells(executed)
    assert len(cells) >= 8
    for cell in cells:
        shown = [o for o in cell.outputs if o.output_type == "display_data"]
        assert len(shown) == 1, cell.source
        out = shown[0]
        assert "text/plain" in out.data, "charts need a text form for consoles"
        meta = out.metadata["image/png"]
        w, h = png_size(out.data["image/png"])
        assert (w, h) == (2 * meta["width"], 2 * meta["height"]), cell.source


# What each chart kind says in its title (the chart's text/plain form).
TITLE_OF_KIND = {
    "hist": "Distribution of", "bar": " per ", "box": " by education",
    "scatter": " against ", "line": " over ", "heatmap": "(counts and row %)",
    "roc": "(ROC)", "pr": "(precision-recall)",
}


def test_gallery_covers_every_kind(executed):
    titles = [o.data["text/plain"] for c in plot_cells(executed) for o in c.outputs
              if o.output_type == "display_data"]
    for kind, marker in TITLE_OF_KIND.items():
        assert any(marker in t for t in titles), f"no {kind} chart in the gallery"


def test_types_choose_the_chart(executed):
    by_source = {c.source: c.outputs[0].data["text/plain"] for c in plot_cells(executed)}
    assert by_source["%plot x=age"].startswith("Distribution of age")
    assert by_source["%plot x=job"].startswith("Rows per job")
    assert by_source["%plot x=education y=age"].startswith("age by education")
    assert by_source["%plot x=age y=balance by=y"].startswith("balance against age by y")


def test_import_cell_shows_the_schema(executed):
    cell = next(c for c in executed.cells if c.source.startswith("%import"))
    shown = [o for o in cell.outputs if o.output_type == "display_data"]
    doc = shown[0].data["application/vnd.automl.frame+json"]
    assert doc["rows"] == 45211
    types = {c["name"]: c["type"] for c in doc["columns"]}
    assert types["age"] == "integer" and types["job"] == "categorical"
