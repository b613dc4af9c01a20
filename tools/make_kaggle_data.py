#!/usr/bin/python3
"""make_kaggle_data.py [--src CSV] [OUTDIR] — the train.csv / test.csv pair of notebooks/03.

From HappyDB's CL-Aff training file (the bundled share/data/happydb-claff-train.csv.gz:
happy moments written by crowd workers, CC BY 4.0, see share/data/README.md) it
makes a Kaggle-style competition: predict `social` (did the moment involve other
people?) from the text and the writer's demographics.

- train.csv: 8,000 rows with the target;
- test.csv: the other 2,560 rows without it, keyed by `hmid` (the submission's id).

The other labels of the task (`agency`, `concepts`) are left out: they are annotations,
not what a writer gives. Rows are split by a fixed shuffle (seed 2019), so running the
script again writes the same files (OUTDIR defaults to notebooks/data/happydb, where
they are committed). Run from anywhere: the defaults are relative to the repository.
"""

import argparse
import csv
import gzip
import os
import random

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_csv(path, header, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.path.join(REPO, "share/data/happydb-claff-train.csv.gz"),
                    help="the CL-Aff training CSV (.csv or .csv.gz)")
    ap.add_argument("outdir", nargs="?", default=os.path.join(REPO, "notebooks/data/happydb"))
    a = ap.parse_args()
    opener = gzip.open if a.src.endswith(".gz") else open
    with opener(a.src, "rt", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    random.Random(2019).shuffle(rows)
    keep = ["hmid", "moment", "age", "country", "gender", "married", "parenthood",
            "reflection", "duration"]
    train, test = rows[:8000], rows[8000:]
    os.makedirs(a.outdir, exist_ok=True)
    write_csv(os.path.join(a.outdir, "train.csv"), keep + ["social"],
              [[r[k] for k in keep] + [r["social"]] for r in train])
    write_csv(os.path.join(a.outdir, "test.csv"), keep, [[r[k] for k in keep] for r in test])


if __name__ == "__main__":
    main()
