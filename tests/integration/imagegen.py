"""Small generated image sets for the vision tests: one folder per class of PNG and
JPEG images (squares, circles, stripes), the same as a CSV of path,label[,set], IDX
files, and broken files (a corrupt PNG, a truncated JPEG, a text file named .png).
Images are drawn with numpy and written with Pillow (python3-pil)."""

import gzip
import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("circle", "square", "stripes")


def shape(kind, size=24, seed=0):
    """One grey image of `kind` as an HxW uint8 array, slightly jittered by seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    c = size / 2 + rng.uniform(-2, 2, 2)
    if kind == "circle":
        img = ((yy - c[0]) ** 2 + (xx - c[1]) ** 2 < (size / 3) ** 2) * 220
    elif kind == "square":
        img = ((abs(yy - c[0]) < size / 4) & (abs(xx - c[1]) < size / 4)) * 220
    else:
        img = ((xx + int(rng.integers(0, 4))) // 3 % 2) * 220
    noise = rng.integers(0, 20, (size, size))
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def write_image(path, pixels, fmt=None):
    Image.fromarray(pixels).save(path, format=fmt or ("JPEG" if path.suffix == ".jpg" else "PNG"))


def class_folders(root, per_class=(8, 6, 5), size=24, seed=0):
    """root/<class>/<n>.png (every third one a .jpg); returns {class: [paths]}.
    Another seed (a multiple of 1000 keeps the sets apart) draws other images."""
    root = Path(root)
    made = {}
    for k, (name, n) in enumerate(zip(CLASSES, per_class)):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        made[name] = []
        for i in range(n):
            p = folder / f"{name}{i}.{'jpg' if i % 3 == 2 else 'png'}"
            write_image(p, shape(name, size, seed=seed + k * 100 + i))
            made[name].append(p)
    return made


def png_bytes(pixels):
    """An HxW uint8 array encoded as PNG bytes (e.g. a body for a prediction request)."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def broken_files(folder):
    """A corrupt PNG, a truncated JPEG and a text file named .png in folder; their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    Image.fromarray(shape("circle", 24, 7)).save(buf, format="PNG")
    png = bytearray(buf.getvalue())
    png[60:90] = b"\x00" * 30                      # damaged compressed data (CRC fails)
    corrupt = folder / "corrupt.png"
    corrupt.write_bytes(bytes(png))
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (32, 32), np.uint8)).save(
        buf, format="JPEG", quality=90)
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    text = folder / "notes.png"
    text.write_text("this is not an image\n")
    return [corrupt, truncated, text]


def csv_listing(path, rows, header=True):
    """A CSV of path,label[,set] rows (paths relative to the CSV's folder)."""
    lines = (["path,label,set"] if header else []) + [",".join(map(str, r)) for r in rows]
    Path(path).write_text("\n".join(lines) + "\n")


def idx_pair(folder, prefix, images, labels, gz=False):
    """prefix-images-idx3-ubyte and prefix-labels-idx1-ubyte from an NxHxW uint8 array."""
    images = np.asarray(images, np.uint8)
    n, h, w = images.shape
    img = struct.pack(">IIII", 0x803, n, h, w) + images.tobytes()
    lab = struct.pack(">II", 0x801, n) + bytes(np.asarray(labels, np.uint8))
    suffix = ".gz" if gz else ""
    opener = gzip.open if gz else open
    for name, data in ((f"{prefix}-images-idx3-ubyte{suffix}", img),
                       (f"{prefix}-labels-idx1-ubyte{suffix}", lab)):
        with opener(Path(folder) / name, "wb") as f:
            f.write(data)
