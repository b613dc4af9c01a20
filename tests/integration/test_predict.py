"""%predict over a real kernel: the output file's columns exactly (id=, prediction,
p_<class>), extra columns ignored, a missing required column named, unseen categories,
missing values, a column read with another type than at training, regression output,
the preview without out=, and the atomic write."""

import os

import numpy as np
import pandas as pd
import pytest

from harness import SLOW, of_type, stream_text


def ok(kernel, code, timeout=60):
    reply, iop = kernel.execute(code, timeout=timeout * SLOW)
    assert reply["content"]["status"] == "ok", (code, reply["content"])
    return iop


def fails(kernel, code):
    reply, iop = kernel.execute(code, timeout=60 * SLOW)
    assert reply["content"]["status"] == "error", (code, reply["content"])
    assert "alive" in stream_text(ok(kernel, "%echo alive"))
    return reply["content"]


def make(n, seed, unseen=False):
    rng = np.random.default_rng(seed)
    num = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    if unseen:
        colour[: n // 4] = "purple"
    # shop codes are categories (forced at import); a new file reads them as integers
    shop = rng.choice(["101", "205", "307"], size=n)
    z = num + (colour == "green") * 1.5 - (shop == "307") * 1.2 + rng.normal(scale=0.3, size=n)
    return pd.DataFrame({"key": [f"k{i:04d}" for i in range(n)], "num": num, "colour": colour,
                         "shop": shop, "y": np.where(z > 0.3, "yes", "no"), "amount": z * 10})


@pytest.fixture(scope="module")
def setup(kernel, tmp_path_factory):
    d = tmp_path_factory.mktemp("predict")
    make(400, 0).to_csv(d / "train.csv", index=False)
    new = make(50, 1).drop(columns=["y", "amount"])
    new["extra"] = "ignored"
    new.to_csv(d / "new.csv", index=False)
    ok(kernel, f"%import {d / 'train.csv'} as shop types=shop:categorical")
    ok(kernel, "%train shop target=y budget=5s seed=3 exclude=key,amount as cls", timeout=120)
    ok(kernel, "%train shop target=amount budget=5s seed=3 exclude=key,y as reg", timeout=120)
    return d


def test_output_columns_with_id(kernel, setup):
    out = setup / "sub.csv"
    iop = ok(kernel, f"%predict cls on={setup / 'new.csv'} out={out} id=key")
    df = pd.read_csv(out)
    assert list(df.columns) == ["key", "prediction", "p_no", "p_yes"]
    assert len(df) == 50
    assert list(df["key"]) == [f"k{i:04d}" for i in range(50)]
    assert set(df["prediction"]) <= {"yes", "no"}
    assert np.allclose(df["p_no"] + df["p_yes"], 1.0, atol=1e-6)
    assert ((df["p_yes"] >= 0.5) == (df["prediction"] == "yes")).all()
    text = stream_text(iop)
    assert "Predicted 50 rows" in text and f"Written to {out}" in text
    assert "Predicted classes: no" in text
    # the extra column is ignored (and said so); shop was read as integers, retyped
    assert "extra" in text and "Ignored" in text
    assert "Column 'shop' was read as integer" in text
    assert not [p for p in os.listdir(setup) if ".tmp" in p]


def test_without_id_and_preview(kernel, setup):
    iop = ok(kernel, f"%predict cls on={setup / 'new.csv'}")
    text = stream_text(iop)
    assert "add out=predictions.csv" in text
    tables = [m["content"]["data"] for m in of_type(iop, "display_data")
              if "text/html" in m["content"]["data"]]
    assert tables and "p_yes" in tables[0]["text/plain"]
    assert tables[0]["text/html"].count("<tr") == 11  # header + 10 rows
    out = setup / "noid.csv"
    ok(kernel, f"%predict cls on={setup / 'new.csv'} out={out}")
    assert list(pd.read_csv(out).columns) == ["prediction", "p_no", "p_yes"]


def test_regression_columns(kernel, setup):
    out = setup / "reg.csv"
    text = stream_text(ok(kernel, f"%predict reg on={setup / 'new.csv'} out={out} id=key"))
    df = pd.read_csv(out)
    assert list(df.columns) == ["key", "prediction"]
    assert df["prediction"].dtype.kind == "f" and df["prediction"].notna().all()
    assert "Predicted amount: from" in text


def test_session_dataset(kernel, setup):
    text = stream_text(ok(kernel, "%predict cls on=shop"))
    assert "Predicted 400 rows of shop" in text


def test_missing_required_column(kernel, setup):
    df = pd.read_csv(setup / "new.csv").drop(columns=["colour"])
    df.to_csv(setup / "nocolour.csv", index=False)
    out = setup / "never.csv"
    content = fails(kernel, f"%predict cls on={setup / 'nocolour.csv'} out={out}")
    assert content["ename"] == "ColumnError"
    assert "no column 'colour'" in content["evalue"] and "cls" in content["evalue"]
    assert not out.exists()
    two = pd.read_csv(setup / "new.csv").drop(columns=["colour", "num"])
    two.to_csv(setup / "notwo.csv", index=False)
    content = fails(kernel, f"%predict cls on={setup / 'notwo.csv'}")
    assert "lacks 2 columns" in content["evalue"]
    assert "colour" in content["evalue"] and "num" in content["evalue"]


def test_bad_id_column(kernel, setup):
    content = fails(kernel, f"%predict cls on={setup / 'new.csv'} id=keys")
    assert "no column 'keys'" in content["evalue"] and "did you mean 'key'" in content["evalue"]


def test_unseen_categories_and_missing_values(kernel, setup):
    df = make(40, 2, unseen=True).drop(columns=["y", "amount"])
    df.loc[5:12, "num"] = np.nan
    df.loc[13:18, "colour"] = np.nan
    df.loc[19:22, "shop"] = np.nan
    df.loc[23, "shop"] = "999"   # an unseen shop
    df.to_csv(setup / "odd.csv", index=False)
    out = setup / "odd-out.csv"
    ok(kernel, f"%predict cls on={setup / 'odd.csv'} out={out} id=key")
    res = pd.read_csv(out)
    assert len(res) == 40 and res["p_yes"].between(0, 1).all() and res["prediction"].notna().all()
    out = setup / "odd-reg.csv"
    ok(kernel, f"%predict reg on={setup / 'odd.csv'} out={out}")
    assert np.isfinite(pd.read_csv(out)["prediction"]).all()


def test_numbers_with_stray_text_and_empty_columns(kernel, setup):
    """A stray word in a numeric column counts as missing; a column left empty in the new
    file (whatever type it is read as) is read as the model's type, all missing."""
    df = pd.read_csv(setup / "new.csv")
    df["num"] = df["num"].astype(str)
    df.loc[3, "num"] = "oops"
    df.to_csv(setup / "stray.csv", index=False)
    out = setup / "stray-out.csv"
    ok(kernel, f"%predict cls on={setup / 'stray.csv'} out={out}")
    res = pd.read_csv(out)
    assert len(res) == 50 and res["p_yes"].between(0, 1).all()
    df["num"] = ""
    df.to_csv(setup / "empty.csv", index=False)
    out = setup / "empty-out.csv"
    ok(kernel, f"%predict cls on={setup / 'empty.csv'} out={out}")
    res = pd.read_csv(out)
    assert len(res) == 50 and res["p_yes"].between(0, 1).all()


def test_out_atomic_on_failure(kernel, setup):
    out = setup / "keep.csv"
    out.write_text("old content\n")
    fails(kernel, f"%predict cls on={setup / 'nocolour.csv'} out={out}")
    assert out.read_text() == "old content\n"
    blocker = setup / "blocker"
    blocker.write_text("x")
    content = fails(kernel, f"%predict cls on={setup / 'new.csv'} out={blocker}/p.csv")
    assert "cannot create" in content["evalue"]
    assert not [p for p in os.listdir(setup) if ".tmp" in p]


def test_usage_errors(kernel, setup):
    assert "needs on=" in fails(kernel, "%predict cls")["evalue"]
    assert "no model named" in fails(kernel, f"%predict nosuch on={setup / 'new.csv'}")["evalue"]
    assert "no data set or file" in fails(kernel, "%predict cls on=nowhere.csv")["evalue"]
