"""Image sets through the real kernel: %import of a class-folder set, a CSV listing
with a set column, IDX files and Fashion-MNIST; broken files named by path; the
display's sample grid PNG; %analyze's duplicates and mean images; %show/%schema
refusing an image set in one line; %datasets listing it."""

import base64
import io
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imagegen
from harness import SLOW, of_type, outputs

FASHION = Path("/usr/share/datasets/fashion-mnist")


def shown(reply, iop):
    """The one display of a successful cell: (text/plain, data bundle)."""
    assert reply["content"]["status"] == "ok", reply["content"]
    displays = of_type(iop, "display_data")
    assert len(displays) == 1, [m["msg_type"] for m in iop]
    data = displays[0]["content"]["data"]
    assert "text/html" in data
    return data["text/plain"], data


def png_of(data):
    """The display's image/png, decoded."""
    img = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    img.load()
    return img


def one_error(reply, iop, ename):
    assert reply["content"]["status"] == "error"
    errors = of_type(iop, "error")
    assert len(outputs(iop)) == 1 and len(errors) == 1, [m["msg_type"] for m in iop]
    assert errors[0]["content"]["ename"] == ename, errors[0]["content"]
    evalue = errors[0]["content"]["evalue"]
    assert "\n" not in evalue
    return evalue


@pytest.fixture(scope="module")
def folder_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("vision") / "shapes"
    made = imagegen.class_folders(root, per_class=(8, 6, 5))
    broken = imagegen.broken_files(root / "circle")
    return root, made, broken


@pytest.fixture(scope="module")
def imported(kernel, folder_set):
    root, _, _ = folder_set
    return shown(*kernel.execute(f"%import {root} as shapes", timeout=60 * SLOW))


def test_folder_import_counts_classes(imported):
    text, data = imported
    assert "shapes: 19 images 24×24×1 in 3 classes" in text
    rows = {line.split()[0]: line.split()[1] for line in text.splitlines()
            if line.split()[:1] in (["circle"], ["square"], ["stripes"])}
    assert rows == {"circle": "8", "square": "6", "stripes": "5"}
    assert "working size 24×24×1" in text and "imported in" in text
    assert "memory: 10.8 KB" in text    # 19 images x 24 x 24 bytes, plus labels


def test_folder_import_shows_a_sample_grid(imported):
    _, data = imported
    img = png_of(data)
    assert img.format == "PNG"
    # 3 rows of 24x24 tiles upscaled to 48 logical px at scale 2: taller than 3 tiles
    assert img.height >= 3 * 96 and img.width >= 6 * 96
    grey = np.asarray(img.convert("L"))
    assert grey.min() < 40 and grey.max() > 200    # dark backgrounds and bright shapes
    assert data["text/html"].count("data:image/png;base64,") >= 1


def test_broken_files_are_named_and_the_import_goes_on(imported, folder_set):
    text, _ = imported
    _, _, broken = folder_set
    assert "skipped 3 files:" in text
    for path, why in zip(broken, ("corrupt PNG", "corrupt JPEG", "not a PNG or JPEG")):
        assert str(path) in text, path
        assert why in text, why


def test_datasets_lists_the_image_set(kernel, imported):
    text, _ = shown(*kernel.execute("%datasets"))
    row = next(line for line in text.splitlines() if line.startswith("shapes"))
    assert "19" in row and "images 24×24×1" in row and "KB" in row


@pytest.mark.parametrize("cell, magic", [("%show shapes", "%show"),
                                         ("%schema shapes", "%schema"),
                                         ("%plot shapes x=a", "%plot")])
def test_table_magics_refuse_an_image_set_in_one_line(kernel, imported, cell, magic):
    evalue = one_error(*kernel.execute(cell), "DataError")
    assert evalue == f"data set 'shapes' holds images; {magic} works on tables"


def test_csv_listing_with_a_set_column_shows_the_split(kernel, folder_set, tmp_path):
    root, made, _ = folder_set
    rows = []
    for k, (label, paths) in enumerate(made.items()):
        for i, p in enumerate(paths):
            rows.append((p.relative_to(root), label, "TEST" if i % 4 == 0 else "TRAIN"))
    listing = root / "listing.csv"
    imagegen.csv_listing(listing, rows)
    text, data = shown(*kernel.execute(f"%import {listing} as listed"))
    n_test = sum(1 for r in rows if r[2] == "TEST")
    assert f"listed: {len(rows)} images" in text and "(csv layout)" in text
    assert f"split fixed by the data: train {len(rows) - n_test} · test {n_test}" in text
    png_of(data)


def test_a_table_csv_still_imports_as_a_table(kernel, tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("a,b\n1,x.png.old\n2,y\n3,z\n")
    reply, iop = kernel.execute(f"%import {p} as plain")
    assert reply["content"]["status"] == "ok"
    assert "application/vnd.automl.frame+json" in of_type(iop, "display_data")[0]["content"]["data"]


def test_idx_import(kernel, tmp_path):
    rng = np.random.default_rng(5)
    imagegen.idx_pair(tmp_path, "train", rng.integers(0, 255, (12, 8, 8)), [0, 1, 2] * 4)
    imagegen.idx_pair(tmp_path, "t10k", rng.integers(0, 255, (3, 8, 8)), [0, 1, 2], gz=True)
    text, data = shown(*kernel.execute(f"%import {tmp_path} as digits"))
    assert "digits: 15 images 8×8×1 in 3 classes" in text and "(idx layout)" in text
    assert "split fixed by the data: train 12 · test 3" in text
    png_of(data)


def test_analyze_names_duplicates_under_two_classes_and_draws_mean_images(kernel, tmp_path):
    made = imagegen.class_folders(tmp_path / "dups", per_class=(4, 4, 4))
    shutil.copy(made["circle"][0], tmp_path / "dups" / "square" / "copy-of-circle.png")
    shutil.copy(made["square"][1], tmp_path / "dups" / "stripes" / "copy-of-square.png")
    shutil.copy(made["square"][1], tmp_path / "dups" / "square" / "again.png")
    shown(*kernel.execute(f"%import {tmp_path / 'dups'} as dups"))
    text, data = shown(*kernel.execute("%analyze dups"))
    assert "duplicates: 3 images repeat another (2 groups of equal pixels)" in text
    assert "5 images appear under two classes" in text
    assert "(circle)" in text and "(square)" in text
    mean = png_of(data)
    assert mean.width >= 3 * 96    # three class means side by side
    assert "imbalanced" not in text


def test_analyze_notes_imbalance(kernel, tmp_path):
    imagegen.class_folders(tmp_path / "skewed", per_class=(11, 2, 3))
    shown(*kernel.execute(f"%import {tmp_path / 'skewed'} as skewed"))
    text, _ = shown(*kernel.execute("%analyze skewed"))
    assert "imbalanced classes: the largest has 5.5× the images of the smallest" in text


def test_size_option_sets_the_working_size(kernel, folder_set):
    root, _, _ = folder_set
    text, _ = shown(*kernel.execute(f"%import {root} as small size=12x10"))
    assert "12×10×1" in text
    evalue = one_error(*kernel.execute(f"%import {root} size=big"), "UsageError")
    assert "size=big" in evalue and "WxH" in evalue


def test_a_path_that_is_neither_gives_the_usual_error(kernel, tmp_path):
    evalue = one_error(*kernel.execute(f"%import {tmp_path}/nothing-here"), "FileNotFoundError")
    assert "no file" in evalue and "nothing-here" in evalue
    empty = tmp_path / "empty"
    empty.mkdir()
    evalue = one_error(*kernel.execute(f"%import {empty}"), "DataError")
    assert str(empty) in evalue


def vm_rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not FASHION.is_dir(), reason="dataset-fashion-mnist is not installed "
                    "(apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_official_split_and_memory(fresh_kernel):
    fresh_kernel.execute("%version")
    before = vm_rss_kb(fresh_kernel.pid)
    t0 = time.monotonic()
    text, data = shown(*fresh_kernel.execute("%import fashion-mnist", timeout=60 * SLOW))
    seconds = time.monotonic() - t0
    after = vm_rss_kb(fresh_kernel.pid)
    assert "fashion-mnist: 70,000 images 28×28×1 in 10 classes" in text
    assert "split fixed by the data: train 60,000 · test 10,000" in text
    assert "Ankle boot" in text and "7,000" in text
    assert (after - before) / 1024 <= 80, f"RSS grew {(after - before) / 1024:.1f} MB"
    assert png_of(data).height > 8 * 96    # 8 classes of samples
    assert seconds < 15 * SLOW, seconds
