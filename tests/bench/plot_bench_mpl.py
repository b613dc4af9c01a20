"""plot_bench_mpl.py — the peer figures for tests/bench/plot_bench.c: the same
chart kinds, data sizes and output size (640x400 at 2x = 1280x800 PNG) drawn
with matplotlib's default style (Agg), median of RUNS renders each, PNG
encoding included.  Prints "key milliseconds" lines; run by plot_bench."""
import io
import sys
import time

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
rng = np.random.default_rng(1)


def fig():
    return plt.figure(figsize=(6.4, 4.0), dpi=100)


def save(f):
    buf = io.BytesIO()
    f.savefig(buf, format="png", dpi=200)
    plt.close(f)
    return buf


x = np.arange(200.0)
ys = [np.exp(-x / 40) + 0.02 * rng.standard_normal(200),
      np.exp(-x / 50) + 0.1 + 0.02 * rng.standard_normal(200),
      0.5 + 0.3 * (1 - np.exp(-x / 30))]
big_c = np.arange(100000) % 3
big_x = big_c * 2 + rng.standard_normal(100000)
big_y = big_c + rng.standard_normal(100000)
hist_c = (np.arange(5000) % 3 == 0)
hist_v = np.where(hist_c, 1 + rng.standard_normal(5000), rng.standard_normal(5000))
lab = rng.random(5000) < 0.3
scores = [(lab * (0.5 + 0.4 * k)) + rng.standard_normal(5000) for k in range(3)]


def line():
    f = fig()
    ax = f.add_subplot()
    for y, name in zip(ys[:2], ["train", "valid"]):
        ax.plot(x, y, label=name)
    ax.step(x, ys[2], where="post", label="best")
    ax.set_title("Training progress")
    ax.set_xlabel("Iteration")
    ax.set_ylabel("Loss")
    ax.legend()
    ax.grid(True)
    save(f)


def scatter(n):
    f = fig()
    ax = f.add_subplot()
    for k, name in enumerate("abc"):
        m = big_c[:n] == k
        ax.scatter(big_x[:n][m], big_y[:n][m], s=9 if n > 10000 else 16,
                   alpha=0.1 if n > 10000 else 0.55, label=name, linewidths=0)
    ax.set_title("Scatter")
    ax.legend()
    save(f)


def bar():
    names = ["duration", "month", "poutcome", "contact", "age", "balance", "pdays",
             "housing", "day", "campaign", "job", "education", "loan", "marital",
             "default"]
    v = 1.0 / (np.arange(15) + 1.5)
    order = np.argsort(v)
    f = fig()
    ax = f.add_subplot()
    bars = ax.barh([names[i] for i in order], v[order])
    ax.bar_label(bars, fmt="%.3f")
    ax.set_title("Feature importance")
    save(f)


def hist():
    f = fig()
    ax = f.add_subplot()
    bins = np.histogram_bin_edges(hist_v, bins="fd")
    ax.hist(hist_v[~hist_c], bins=bins, alpha=0.5, label="no")
    ax.hist(hist_v[hist_c], bins=bins, alpha=0.5, label="yes")
    ax.set_title("Histogram by class")
    ax.legend()
    save(f)


def box():
    f = fig()
    ax = f.add_subplot()
    ax.boxplot([scores[k % 3][:1000] + k * 1000 for k in range(4)], labels=list("abcd"))
    ax.set_title("Box")
    save(f)


def confusion():
    cm = np.array([[500, 20, 3, 1], [15, 420, 30, 2], [4, 25, 380, 9], [0, 3, 12, 280]])
    share = cm / cm.sum(axis=1, keepdims=True)
    f = fig()
    ax = f.add_subplot()
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(4):
        for j in range(4):
            ax.text(j, i, f"{cm[i, j]}\n{100 * share[i, j]:.1f}%", ha="center", va="center",
                    color="white" if share[i, j] > 0.5 else "black")
    names = ["cat", "dog", "bird", "fish"]
    ax.set_xticks(range(4), names)
    ax.set_yticks(range(4), names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    f.colorbar(im)
    ax.set_title("Confusion matrix")
    save(f)


def curves(pr):
    f = fig()
    ax = f.add_subplot()
    for k, s in enumerate(scores):
        o = np.argsort(-s, kind="stable")
        y = lab[o]
        tp = np.cumsum(y)
        fp = np.cumsum(~y)
        if pr:
            rec, prec = tp / tp[-1], tp / (tp + fp)
            ap = np.sum(np.diff(np.concatenate([[0], rec])) * prec)
            ax.step(rec, prec, where="pre", label=f"m{k} (AP = {ap:.3f})")
        else:
            fpr, tpr = fp / fp[-1], tp / tp[-1]
            auc = np.trapz(tpr, fpr)
            ax.plot(fpr, tpr, label=f"m{k} (AUC = {auc:.3f})")
    ax.plot([0, 1], [lab.mean(), lab.mean()] if pr else [0, 1], "--", color="gray")
    ax.set_xlabel("Recall" if pr else "False positive rate")
    ax.set_ylabel("Precision" if pr else "True positive rate")
    ax.legend()
    save(f)


kinds = [("line", line), ("scatter3k", lambda: scatter(3000)),
         ("scatter100k", lambda: scatter(100000)), ("bar", bar), ("hist", hist),
         ("box", box), ("confusion", confusion), ("roc", lambda: curves(False)),
         ("pr", lambda: curves(True))]
for key, fn in kinds:
    fn()  # warm-up: font cache, imports
    t = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e3)
    print(key, f"{float(np.median(t)):.2f}", flush=True)
