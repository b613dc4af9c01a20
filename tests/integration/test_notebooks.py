"""notebooks/02-teaching-automl.ipynb and 03-kaggle-workflow.ipynb executed headless by
nbclient, in a scratch copy of notebooks/ (they read data/ beside them and write their
journals and files there): no error output anywhere, and each notebook shows what its
story promises — the feature steps, the six strategies on one chart, the
validation-vs-test gap; the Kaggle path from train.csv to a submission file."""

import csv
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from harness import REPO, SLOW

pytestmark = pytest.mark.notebook


def run(name, tmp_path_factory):
    work = tmp_path_factory.mktemp(name.split("-")[0])
    shutil.copytree(REPO / "notebooks" / "data", work / "data")
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    client = NotebookClient(nb, kernel_name="automl", timeout=int(180 * SLOW),
                            allow_errors=False, record_timing=False)
    client.execute(cwd=str(work))
    return nb, work


def cells(nb, start):
    found = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)]
    assert found, f"no cell starts with {start!r}"
    return found


def displayed(cell, mime):
    return [o.data[mime] for o in cell.outputs
            if o.output_type in ("display_data", "execute_result") and mime in o.data]


def no_errors(nb):
    for i, c in enumerate(nb.cells):
        for o in c.get("outputs", []):
            assert o.output_type != "error", f"cell {i + 1}: {o.ename}: {o.evalue}"
            assert not (o.output_type == "stream" and o.name == "stderr"), \
                f"cell {i + 1} wrote to stderr: {o.text[:200]}"


@pytest.fixture(scope="module")
def teaching(jupyter_dirs, tmp_path_factory):
    return run("02-teaching-automl.ipynb", tmp_path_factory)[0]


@pytest.fixture(scope="module")
def kaggle(jupyter_dirs, tmp_path_factory):
    return run("03-kaggle-workflow.ipynb", tmp_path_factory)


def test_teaching_runs_clean(teaching):
    no_errors(teaching)
    for c in teaching.cells:
        if c.cell_type == "code":
            assert c.outputs, f"cell {c.source[:40]!r} showed nothing"


def test_teaching_shows_cleansing_and_feature_steps(teaching):
    (analysis,) = displayed(cells(teaching, "%analyze happy")[0],
                            "application/vnd.automl.analysis+json")
    assert analysis
    (board,) = displayed(cells(teaching, "%train bank")[0],
                         "application/vnd.automl.leaderboard+json")
    # every feature step is named with what happened to it
    for step in ("ratios, products and differences", "group statistics",
                 "importance-based selection", "k-means", "PCA"):
        assert step in board["pipeline"], (step, board["pipeline"])


def test_teaching_compares_six_strategies_on_one_chart(teaching):
    c = cells(teaching, "%compare")[0]
    text = "".join(displayed(c, "text/plain"))
    for s in ("grid", "random", "bayes", "evolution", "hyperband", "rl"):
        assert s in text, s
    assert len(displayed(c, "image/png")) == 1


def test_teaching_makes_overfitting_visible(teaching):
    (all_rows,) = [c for c in cells(teaching, "%evaluate deep") if "on=wine" in c.source]
    (test_split,) = [c for c in cells(teaching, "%evaluate deep") if c.source.strip() ==
                     "%evaluate deep"]
    seen = displayed(all_rows, "application/vnd.automl.evaluation+json")[0]
    unseen = displayed(test_split, "application/vnd.automl.evaluation+json")[0]
    assert seen["metrics"]["log_loss"] < unseen["metrics"]["log_loss"]
    assert any("optimistic" in n for n in seen["notes"]), seen["notes"]


def test_kaggle_ends_in_a_submission(kaggle):
    nb, work = kaggle
    no_errors(nb)
    with open(work / "submission.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(work / "data" / "happydb" / "test.csv", newline="") as f:
        ids = [r["hmid"] for r in csv.DictReader(f)]
    assert [r["hmid"] for r in rows] == ids
    assert set(rows[0]) == {"hmid", "prediction", "p_no", "p_yes"}
    for r in rows[:50]:
        assert r["prediction"] in ("no", "yes")
        assert abs(float(r["p_no"]) + float(r["p_yes"]) - 1) < 1e-4
    # the story's displays: evaluation, explanation, the submission's first rows
    assert displayed(cells(nb, "%evaluate")[0], "application/vnd.automl.evaluation+json")
    assert displayed(cells(nb, "%explain")[0], "application/vnd.automl.explanation+json")
    assert displayed(cells(nb, "%import submission.csv")[0], "application/vnd.automl.frame+json")


@pytest.fixture(scope="module")
def vision(jupyter_dirs, tmp_path_factory):
    return run("04-vision.ipynb", tmp_path_factory)[0]


def test_vision_walkthrough_from_folder_to_rest(vision):
    """04-vision: the images shown, NAS trained, the Pareto chart, the mistakes gallery,
    saliency, and the deployed network answering an image from the notebook."""
    no_errors(vision)
    (imported,) = cells(vision, "%import data/fashion-small")
    assert "600 images 28×28×1 in 5 classes" in "".join(displayed(imported, "text/plain"))
    assert displayed(imported, "image/png"), "no sample grid"
    (board,) = cells(vision, "%leaderboard vision")
    assert displayed(board, "image/png"), "no Pareto chart"
    (evaluation,) = cells(vision, "%evaluate vision")
    doc = displayed(evaluation, "application/vnd.automl.evaluation+json")[0]
    assert doc["metrics"]["accuracy"] >= 0.8, doc["metrics"]
    assert len(displayed(evaluation, "image/png")) >= 2   # confusion matrix, mistakes
    assert displayed(cells(vision, "%explain vision")[0], "image/png"), "no saliency grid"
    (query,) = cells(vision, "%%http POST /v1/models/vision:predict")
    answer = "".join(displayed(query, "text/plain"))
    assert "HTTP 200" in answer and '"sneaker"' in answer, answer[:400]
