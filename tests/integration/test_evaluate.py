"""%evaluate over a real kernel: binary (bank-marketing), multiclass (wine) and regression
(diabetes) models trained with tiny budgets, evaluated with out=; every metric of the
evaluation+json document is checked against scikit-learn on the rows of the CSV file;
the displays and their MIME types; on=DATA and on=PATH; rows left out; each error."""

import csv
import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score,
                             confusion_matrix, log_loss, mean_absolute_error,
                             mean_absolute_percentage_error, mean_squared_error,
                             precision_recall_fscore_support, r2_score, roc_auc_score)
from sklearn.preprocessing import label_binarize

from harness import REPO, SLOW, of_type

DATA = REPO / "tests" / "data" / "sklearn"
EVAL_MIME = "application/vnd.automl.evaluation+json"
BUDGET = f"{5 * SLOW:.0f}s"   # tiny, but asan needs time for a first trial
TIGHT = 1e-9      # metrics computed from counts: the same doubles up to rounding
PROB = 1e-6       # log loss: scikit-learn renormalises the float32 probabilities


def displays(iop):
    return [m["content"] for m in of_type(iop, "display_data")]


def evaluate(kernel, code):
    reply, iop = kernel.execute(code, timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    shown = displays(iop)
    docs = [d["data"][EVAL_MIME] for d in shown if EVAL_MIME in d["data"]]
    assert len(docs) == 1, f"{len(docs)} evaluation documents"
    # every display can be read in a console; tables are HTML, charts PNG with a size
    for d in shown:
        assert d["data"].get("text/plain"), d["data"].keys()
        assert "text/html" in d["data"] or "image/png" in d["data"], d["data"].keys()
        if "image/png" in d["data"]:
            assert d["metadata"]["image/png"]["width"] > 0
    return docs[0], shown


def failure(kernel, code):
    reply, iop = kernel.execute(code, timeout=60 * SLOW)
    c = reply["content"]
    assert c["status"] == "error", f"{code} did not fail"
    assert "\n" not in c["evalue"], f"not one line: {c['evalue']!r}"
    return c["ename"], c["evalue"]


def close(a, b, tol, what):
    assert a is not None, f"{what} is null"
    assert math.isclose(a, b, rel_tol=tol, abs_tol=tol), f"{what}: ours {a!r}, sklearn {b!r}"


def f32(col):
    """A CSV column as the float32 values the engine wrote, in float64."""
    return col.to_numpy(dtype=np.float32).astype(np.float64)


def n_png(shown):
    return sum("image/png" in d["data"] for d in shown)


def check_classification(doc, df, pos_label=None):
    """Every classification metric of `doc` against scikit-learn on the CSV rows."""
    classes = doc["classes"]
    k = len(classes)
    idx = {c: i for i, c in enumerate(classes)}
    y = df["actual"].map(idx).to_numpy()
    yhat = df["predicted"].map(idx).to_numpy()
    assert not np.isnan(y.astype(float)).any() and not np.isnan(yhat.astype(float)).any()
    # the CSV holds the engine's float32 values exactly (9 significant digits)
    P = f32(df[[f"p_{c}" for c in classes]])
    labels = list(range(k))
    assert doc["n_rows"] == len(df)
    m = doc["metrics"]
    if doc["task"] == "binary":
        p = P[:, 1]
        # the decision column is the threshold rule
        assert (yhat == (p >= doc["threshold"])).all(), "predicted != P >= threshold"
        close(m["auc_roc"], roc_auc_score(y, p), TIGHT, "auc_roc")
        close(m["auc_pr"], average_precision_score(y, p), TIGHT, "auc_pr")
        close(m["log_loss"], log_loss(y, p, labels=labels), PROB, "log_loss")
        pr, rc, f1, _ = precision_recall_fscore_support(y, yhat, average="binary",
                                                        zero_division=0)
        close(m["precision"], pr, TIGHT, "precision")
        close(m["recall"], rc, TIGHT, "recall")
        close(m["f1"], f1, TIGHT, "f1")
        assert m["precision_at_1"] is None
    else:
        assert (yhat == P.argmax(axis=1)).all(), "predicted != argmax"
        close(m["auc_roc"], roc_auc_score(y, P, multi_class="ovr", average="macro",
                                          labels=labels), TIGHT, "auc_roc")
        close(m["auc_pr"], average_precision_score(label_binarize(y, classes=labels), P,
                                                   average="macro"), TIGHT, "auc_pr")
        close(m["log_loss"], log_loss(y, P, labels=labels), PROB, "log_loss")
        close(m["precision_at_1"], accuracy_score(y, yhat), TIGHT, "precision@1")
        close(m["recall_at_1"], accuracy_score(y, yhat), TIGHT, "recall@1")
        pr, rc, f1, _ = precision_recall_fscore_support(y, yhat, labels=labels,
                                                        average="macro", zero_division=0)
        close(m["precision"], pr, TIGHT, "precision (macro)")
        close(m["recall"], rc, TIGHT, "recall (macro)")
        close(m["f1"], f1, TIGHT, "f1 (macro)")
    close(m["accuracy"], accuracy_score(y, yhat), TIGHT, "accuracy")
    close(m["balanced_accuracy"], balanced_accuracy_score(y, yhat), TIGHT, "balanced_accuracy")
    # per class and averages
    pr, rc, f1, sup = precision_recall_fscore_support(y, yhat, labels=labels, zero_division=0)
    for c, row in enumerate(doc["per_class"]):
        assert row["class"] == classes[c]
        close(row["precision"], pr[c], TIGHT, f"precision[{classes[c]}]")
        close(row["recall"], rc[c], TIGHT, f"recall[{classes[c]}]")
        close(row["f1"], f1[c], TIGHT, f"f1[{classes[c]}]")
        assert row["support"] == sup[c]
        assert row["predicted"] == int((yhat == c).sum())
        score = P[:, c] if doc["task"] == "multiclass" else (P[:, 1] if c else 1 - P[:, 1])
        close(row["auc_roc"], roc_auc_score(y == c, score), TIGHT, f"auc_roc[{classes[c]}]")
        close(row["auc_pr"], average_precision_score(y == c, score), TIGHT,
              f"auc_pr[{classes[c]}]")
    for avg in ("macro", "micro", "weighted"):
        pr, rc, f1, _ = precision_recall_fscore_support(y, yhat, labels=labels, average=avg,
                                                        zero_division=0)
        got = doc["averages"][avg]
        close(got["precision"], pr, TIGHT, f"{avg} precision")
        close(got["recall"], rc, TIGHT, f"{avg} recall")
        close(got["f1"], f1, TIGHT, f"{avg} f1")
    assert doc["confusion_matrix"]["labels"] == classes
    assert doc["confusion_matrix"]["counts"] == confusion_matrix(y, yhat, labels=labels).tolist()
    # curves: every point's counts are those of "score >= threshold"
    assert len(doc["roc"]) == (1 if doc["task"] == "binary" else k)
    for curve, prc in zip(doc["roc"], doc["pr"]):
        c = idx[curve["class"]]
        s = P[:, c]
        pos = y == c
        assert curve["positives"] == pos.sum() and curve["negatives"] == (~pos).sum()
        assert 2 <= len(curve["fpr"]) <= 200 and curve["threshold"][0] is None
        assert curve["fpr"][0] == 0 and curve["tpr"][-1] == 1 and curve["fpr"][-1] == 1
        for t, tp, fp, x, yy in zip(curve["threshold"][1:], curve["tp"][1:], curve["fp"][1:],
                                    curve["fpr"][1:], curve["tpr"][1:]):
            sel = s >= t
            assert tp == (sel & pos).sum() and fp == (sel & ~pos).sum(), f"counts at {t}"
            close(x, fp / (~pos).sum(), TIGHT, "fpr")
            close(yy, tp / pos.sum(), TIGHT, "tpr")
        close(curve["auc"], roc_auc_score(pos, s), TIGHT, "curve auc")
        close(prc["average_precision"], average_precision_score(pos, s), TIGHT, "curve ap")
        assert prc["threshold"] == curve["threshold"] or len(prc["threshold"]) <= 200
        for t, tp, fp, r, pp in zip(prc["threshold"][1:], prc["tp"][1:], prc["fp"][1:],
                                    prc["recall"][1:], prc["precision"][1:]):
            close(r, tp / pos.sum(), TIGHT, "recall point")
            close(pp, tp / (tp + fp), TIGHT, "precision point")
    # calibration: scikit-learn's calibration_curve over the non-empty bins
    bins = [b for b in doc["calibration"]["bins"] if b["count"]]
    assert sum(b["count"] for b in bins) == len(df)
    if doc["task"] == "binary":
        conf, hit = P[:, 1], y == 1
    else:
        conf, hit = P.max(axis=1), yhat == y
    true, pred = calibration_curve(hit, conf, n_bins=10)
    assert len(bins) == len(true)
    for b, t, p in zip(bins, true, pred):
        close(b["observed"], t, TIGHT, "calibration observed")
        close(b["mean_predicted"], p, TIGHT, "calibration mean predicted")


def check_thresholds(doc, df):
    """The binary threshold table, grid and best-F1 threshold by brute force."""
    y = (df["actual"] == doc["positive_class"]).to_numpy()
    p = f32(df[f"p_{doc['positive_class']}"])
    table = doc["threshold_table"]
    assert [r["threshold"] for r in table] == pytest.approx([i / 10 for i in range(1, 10)])
    assert len(doc["threshold_grid"]) == 99
    for r in table + doc["threshold_grid"][::7]:
        yhat = p >= r["threshold"]
        tn, fp, fn, tp = confusion_matrix(y, yhat, labels=[False, True]).ravel()
        assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (tp, fp, fn, tn), r
        pr, rc, f1, _ = precision_recall_fscore_support(y, yhat, average="binary",
                                                        zero_division=0)
        close(r["precision"], pr, TIGHT, "table precision")
        close(r["recall"], rc, TIGHT, "table recall")
        close(r["f1"], f1, TIGHT, "table f1")
        close(r["accuracy"], accuracy_score(y, yhat), TIGHT, "table accuracy")
    best_f1, best_t = -1, None
    for t in sorted(set(p), reverse=True):
        pr, rc, f1, _ = precision_recall_fscore_support(y, p >= t, average="binary",
                                                        zero_division=0)
        if f1 > best_f1 + 1e-15:
            best_f1, best_t = f1, t
    close(doc["best_f1_threshold"]["f1"], best_f1, TIGHT, "best f1")
    close(doc["best_f1_threshold"]["threshold"], best_t, 1e-7, "best f1 threshold")


# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binary(kernel):
    reply, _ = kernel.execute("%import bank-marketing as bank", timeout=60 * SLOW)
    assert reply["content"]["status"] == "ok"
    reply, iop = kernel.execute(f"%train bank target=y budget={BUDGET} as mb", timeout=90 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]
    board = [m["content"]["data"]["application/vnd.automl.leaderboard+json"]
             for m in of_type(iop, "display_data")
             if "application/vnd.automl.leaderboard+json" in m["content"]["data"]]
    return board[0]


@pytest.fixture(scope="module")
def multiclass(kernel):
    kernel.execute(f"%import {DATA / 'wine.csv'} as wine target=cultivar")
    reply, _ = kernel.execute(f"%train wine budget={BUDGET} as mw", timeout=90 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]


@pytest.fixture(scope="module")
def regression(kernel):
    kernel.execute(f"%import {DATA / 'diabetes.csv'} as diabetes target=progression")
    reply, _ = kernel.execute(f"%train diabetes budget={BUDGET} as mr", timeout=90 * SLOW)
    assert reply["content"]["status"] == "ok", reply["content"]


def test_binary_test_split_matches_sklearn(kernel, binary, tmp_path):
    out = tmp_path / "bank.csv"
    doc, shown = evaluate(kernel, f"%evaluate mb out={out}")
    assert doc["task"] == "binary" and doc["on"] == "test" and doc["model"] == "mb"
    assert doc["classes"] == ["no", "yes"] and doc["positive_class"] == "yes"
    assert doc["threshold"] == 0.5
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns) == ["row", "actual", "predicted", "p_no", "p_yes"]
    # the test split: 10 % of the rows, ascending, scored as %train scored it
    assert len(df) == round(45211 * 0.1) and df["row"].is_monotonic_increasing
    close(doc["metrics"]["auc_roc"], binary["test_score"], 1e-6, "AUC vs %train's test score")
    check_classification(doc, df)
    check_thresholds(doc, df)
    assert doc["threshold_dependent"] and "auc_roc" not in doc["threshold_dependent"]
    # summary, per class, confusion chart + table, ROC, PR, thresholds, calibration
    assert n_png(shown) == 4, [d["data"]["text/plain"][:40] for d in shown]
    assert sum("text/html" in d["data"] for d in shown) == 4
    text = "\n".join(d["data"]["text/plain"] for d in shown)
    for word in ("AUC ROC", "Balanced accuracy", "macro average", "best F1", "in use",
                 "Confusion matrix", "ROC curve", "Precision-recall", "Calibration"):
        assert word in text, word


def test_binary_threshold_moves_decisions(kernel, binary, tmp_path):
    out = tmp_path / "t.csv"
    doc, _ = evaluate(kernel, f"%evaluate mb threshold=0.3 out={out}")
    assert doc["threshold"] == 0.3
    df = pd.read_csv(out, keep_default_na=False)
    check_classification(doc, df)
    assert ((df["predicted"] == "yes") == (df["p_yes"] >= 0.3)).all()
    doc5, _ = evaluate(kernel, "%evaluate mb")
    assert doc["metrics"]["auc_roc"] == doc5["metrics"]["auc_roc"]
    assert doc["metrics"]["log_loss"] == doc5["metrics"]["log_loss"]
    assert doc["metrics"]["recall"] > doc5["metrics"]["recall"]


def test_multiclass_matches_sklearn(kernel, multiclass, tmp_path):
    out = tmp_path / "wine.csv"
    doc, shown = evaluate(kernel, f"%evaluate mw out={out}")
    assert doc["task"] == "multiclass" and doc["threshold"] is None
    assert doc["classes"] == ["class_0", "class_1", "class_2"]
    df = pd.read_csv(out, keep_default_na=False)
    assert len(df) == 18   # stratified 10 % of 59 / 71 / 48
    check_classification(doc, df)
    assert "threshold_table" not in doc
    assert n_png(shown) == 4   # confusion, ROC, PR, calibration
    assert doc["calibration"]["kind"] == "top-1"


def test_regression_matches_sklearn(kernel, regression, tmp_path):
    out = tmp_path / "diabetes.csv"
    doc, shown = evaluate(kernel, f"%evaluate mr out={out}")
    assert doc["task"] == "regression" and doc["target"] == "progression"
    df = pd.read_csv(out)
    assert list(df.columns) == ["row", "actual", "predicted", "residual"]
    assert len(df) == doc["n_rows"] == round(442 * 0.1)
    y, p = f32(df["actual"]), f32(df["predicted"])
    m = doc["metrics"]
    close(m["rmse"], math.sqrt(mean_squared_error(y, p)), TIGHT, "rmse")
    close(m["mae"], mean_absolute_error(y, p), TIGHT, "mae")
    close(m["r2"], r2_score(y, p), TIGHT, "r2")
    nz = y != 0
    close(m["mape"], mean_absolute_percentage_error(y[nz], p[nz]), TIGHT, "mape")
    assert doc["mape_rows_excluded"] == int((~nz).sum())
    assert np.allclose(df["residual"], y - p, rtol=1e-6, atol=1e-4)
    res = doc["residuals"]
    assert res["sampled"] is False and res["row"] == df["row"].tolist()
    assert np.allclose(res["residual"], y - p, rtol=1e-6, atol=1e-4)
    assert n_png(shown) == 2   # predicted vs actual, residuals
    text = "\n".join(d["data"]["text/plain"] for d in shown)
    assert "RMSE" in text and "R²" in text and "Residuals" in text


def test_regression_mape_leaves_out_zero_truth(kernel, regression, tmp_path):
    src = pd.read_csv(DATA / "diabetes.csv")
    src.loc[:4, "progression"] = 0
    path = tmp_path / "zeros.csv"
    src.to_csv(path, index=False)
    out = tmp_path / "z.csv"
    doc, _ = evaluate(kernel, f"%evaluate mr on={path} out={out} threshold=0.3")
    assert doc["mape_rows_excluded"] == 5 and doc["n_rows"] == 442
    assert "mape" in doc["metric_notes"]
    assert any("threshold=0.3 is ignored" in n for n in doc["notes"]), doc["notes"]
    df = pd.read_csv(out)
    y, p = f32(df["actual"]), f32(df["predicted"])
    nz = y != 0
    close(doc["metrics"]["mape"], mean_absolute_percentage_error(y[nz], p[nz]), TIGHT, "mape")


def test_on_path_and_on_data(kernel, multiclass, tmp_path):
    out = tmp_path / "all.csv"
    doc, _ = evaluate(kernel, f"%evaluate mw on={DATA / 'wine.csv'} out={out}")
    assert doc["on"] == str(DATA / "wine.csv") and doc["n_rows"] == 178
    df = pd.read_csv(out, keep_default_na=False)
    assert df["row"].tolist() == list(range(178))
    check_classification(doc, df)
    assert any("optimistic" in n for n in doc["notes"]), doc["notes"]   # the training file
    kernel.execute(f"%import {DATA / 'wine.csv'} as wine_again")
    doc2, _ = evaluate(kernel, "%evaluate mw on=wine_again")
    assert doc2["source"] == "data set 'wine_again'" and doc2["n_rows"] == 178
    assert doc2["metrics"] == doc["metrics"]
    assert any("optimistic" in n for n in doc2["notes"]), doc2["notes"]   # the same file


def test_rows_without_target_or_with_unseen_class_are_left_out(kernel, multiclass, tmp_path):
    src = pd.read_csv(DATA / "wine.csv")
    src.loc[[0, 1, 2], "cultivar"] = ""
    src.loc[[100, 101], "cultivar"] = "class_9"
    path = tmp_path / "holes.csv"
    src.to_csv(path, index=False)
    out = tmp_path / "h.csv"
    doc, _ = evaluate(kernel, f"%evaluate mw on={path} out={out}")
    assert doc["n_rows"] == 178 - 5
    notes = " ".join(doc["notes"])
    assert "3 rows" in notes and "no value in 'cultivar'" in notes, notes
    assert "2 rows left out" in notes and "'class_9' (2 rows)" in notes, notes
    df = pd.read_csv(out, keep_default_na=False)
    assert not set(df["row"]) & {0, 1, 2, 100, 101}
    check_classification(doc, df)


def test_errors(kernel, binary, multiclass, regression, tmp_path):
    ename, msg = failure(kernel, "%evaluate mbb")
    assert "mbb" in msg and "mb" in msg, msg
    for bad in ("1.5", "0", "1", "-0.2"):
        ename, msg = failure(kernel, f"%evaluate mb threshold={bad}")
        assert ename == "UsageError" and "between 0 and 1" in msg, msg
    ename, msg = failure(kernel, "%evaluate mb threshold=high")
    assert "number" in msg, msg
    ename, msg = failure(kernel, "%evaluate mb treshold=0.3")
    assert "threshold" in msg, msg   # did you mean
    ename, msg = failure(kernel, "%evaluate mw on=no_such_data")
    assert "no_such_data" in msg, msg
    # a file without the target column
    no_target = tmp_path / "no_target.csv"
    pd.read_csv(DATA / "wine.csv").drop(columns=["cultivar"]).to_csv(no_target, index=False)
    ename, msg = failure(kernel, f"%evaluate mw on={no_target}")
    assert ename == "EvaluateError" and "'cultivar'" in msg and "target" in msg, msg
    # nothing left to evaluate
    empty = tmp_path / "empty.csv"
    src = pd.read_csv(DATA / "wine.csv")
    src["cultivar"] = ""
    src.to_csv(empty, index=False)
    ename, msg = failure(kernel, f"%evaluate mw on={empty}")
    assert "nothing to evaluate" in msg, msg
    # a feature the model reads is missing
    no_feature = tmp_path / "no_feature.csv"
    pd.read_csv(DATA / "wine.csv").drop(columns=["proline"]).to_csv(no_feature, index=False)
    ename, msg = failure(kernel, f"%evaluate mw on={no_feature}")
    assert ename == "EvaluateError" and "proline" in msg, msg
    # the wrong kind of target: text where the regression model predicts numbers
    ename, msg = failure(kernel, f"%evaluate mr on={DATA / 'wine.csv'}")
    assert "progression" in msg, msg
    text_target = tmp_path / "text_target.csv"
    src = pd.read_csv(DATA / "diabetes.csv")
    src["progression"] = ["low" if v < 140 else "high" for v in src["progression"]]
    src.to_csv(text_target, index=False)
    ename, msg = failure(kernel, f"%evaluate mr on={text_target}")
    assert "predicts numbers" in msg and "types=progression:" in msg, msg
    # out= to a folder that does not exist: an error, and no file
    bad_out = tmp_path / "missing" / "x.csv"
    ename, msg = failure(kernel, f"%evaluate mb out={bad_out}")
    assert "out=" in msg and "No such file" in msg, msg
    assert not (tmp_path / "missing").exists()
    ename, msg = failure(kernel, "%evaluate mb out=")
    # out= must not overwrite the data being evaluated
    copy = tmp_path / "wine_copy.csv"
    copy.write_bytes((DATA / "wine.csv").read_bytes())
    ename, msg = failure(kernel, f"%evaluate mw on={copy} out={copy}")
    assert "replace your data" in msg, msg
    assert copy.read_bytes() == (DATA / "wine.csv").read_bytes()
    # the help
    reply, _ = kernel.execute("%evaluate?")
    page = reply["content"]["payload"][0]["data"]["text/plain"]
    assert "on=" in page and "threshold" in page and "Examples" in page


def test_no_model_yet(fresh_kernel):
    ename, msg = failure(fresh_kernel, "%evaluate")
    assert "%train" in msg or "model" in msg, msg


def test_replaced_data_set_is_refused(kernel, multiclass, tmp_path):
    """A data set re-imported under the training name no longer holds the test split."""
    src = pd.read_csv(DATA / "wine.csv").sample(frac=1, random_state=3)
    shuffled = tmp_path / "shuffled.csv"
    src.to_csv(shuffled, index=False)
    kernel.execute(f"%import {shuffled} as wine target=cultivar")
    ename, msg = failure(kernel, "%evaluate mw")
    assert ename == "EvaluateError" and "replaced" in msg and "on=" in msg, msg
    kernel.execute(f"%import {DATA / 'diabetes.csv'} as wine")
    ename, msg = failure(kernel, "%evaluate mw")
    assert "replaced" in msg or "cultivar" in msg, msg
    # the original file again: the same rows, so the same test split
    kernel.execute(f"%import {DATA / 'wine.csv'} as wine target=cultivar")
    doc, _ = evaluate(kernel, "%evaluate mw")
    assert doc["n_rows"] == 18
