"""notebooks/01-bank-marketing.ipynb — import, analyze, plot, train, evaluate, explain,
predict, save, deploy and query — executed headless by
nbclient: the product's main path, end to end."""

import nbformat
import pytest
from nbclient import NotebookClient

from harness import REPO, SLOW

pytestmark = pytest.mark.notebook
NOTEBOOK = REPO / "notebooks" / "01-bank-marketing.ipynb"


@pytest.fixture(scope="module")
def executed(jupyter_dirs, tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name="automl", timeout=int(120 * SLOW),
                            allow_errors=False, record_timing=False)
    # the training journal goes beside the notebook: use a scratch folder
    client.execute(cwd=str(tmp_path_factory.mktemp("bank-notebook")))
    return nb


def cell(nb, start):
    return next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start))


def test_train_cell_reports_an_honest_score(executed):
    out = [o for o in cell(executed, "%train").outputs if o.output_type == "display_data"
           and "application/vnd.automl.leaderboard+json" in o.data]
    assert len(out) == 1
    doc = out[0].data["application/vnd.automl.leaderboard+json"]
    assert doc["task"] == "binary"
    # without duration the published figures are around 0.79-0.80 AUC
    assert 0.74 < doc["test_score"] < 0.9, doc["test_score"]


def test_analyze_and_plot_cells_show_charts(executed):
    for start in ("%analyze", "%plot"):
        charts = [o for o in cell(executed, start).outputs
                  if o.output_type == "display_data" and "image/png" in o.data]
        assert charts, f"{start} drew no chart"


def test_models_cell_lists_the_model(executed):
    out = cell(executed, "%models").outputs[0]
    names = [m["name"] for m in out.data["application/vnd.automl.models+json"]["models"]]
    assert names == ["calls"]


def test_evaluate_and_explain_cells(executed):
    doc = [o.data["application/vnd.automl.evaluation+json"] for o in cell(executed, "%evaluate calls").outputs
           if o.output_type == "display_data" and "application/vnd.automl.evaluation+json" in o.data]
    assert len(doc) == 1 and doc[0]["task"] == "binary" and doc[0]["threshold"] == 0.5
    lower = [c for c in executed.cells if c.cell_type == "code" and "threshold=0.25" in c.source]
    (low,) = [o.data["application/vnd.automl.evaluation+json"] for o in lower[0].outputs
              if "application/vnd.automl.evaluation+json" in o.get("data", {})]
    # a lower threshold finds more of the rare buyers
    assert low["metrics"]["recall"] > doc[0]["metrics"]["recall"]
    expl = [o for o in cell(executed, "%explain calls max_rows").outputs
            if "application/vnd.automl.explanation+json" in o.get("data", {})]
    assert expl and any("image/png" in o.get("data", {}) for o in cell(executed, "%explain").outputs)


def test_predict_save_deploy_and_query(executed):
    outs = cell(executed, "%predict").outputs
    text = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outs)
    assert "predictions.csv" in text, text[:500]
    assert cell(executed, "%save").outputs
    (ok, bad) = [c for c in executed.cells if c.cell_type == "code" and c.source.startswith("%%http")]
    (answer,) = [o.data for o in ok.outputs if o.output_type == "display_data"]
    assert answer["text/plain"].startswith("HTTP 200")
    preds = answer["application/json"]["predictions"]
    assert len(preds) == 2 and all(p["label"] in ("no", "yes") for p in preds)
    (refused,) = [o.data for o in bad.outputs if o.output_type == "display_data"]
    assert refused["text/plain"].startswith("HTTP 400") and "salary" in refused["text/plain"]
    assert cell(executed, "%undeploy").outputs
