#!/usr/bin/python3
"""run_notebook.py NOTEBOOK OUTDIR — execute a notebook headless on the AutoML kernel.

Runs every cell with nbclient (kernel "automl", at most 600 s per cell), then writes
OUTDIR/<name>.ipynb (with outputs) and OUTDIR/<name>.html (nbconvert's HTML exporter),
each written to a temporary name first and renamed, so a reader never sees half a file.
On a failing cell: one line naming the cell and the error, exit code 1.
"""

import argparse
import os
import sys
import tempfile

KERNEL = "automl"
CELL_TIMEOUT = 600


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def cell_error(nb):
    """(index, cell, error output) of the first cell with an error output, or None."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, cell, out
    return None


def one_line(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("outdir")
    args = ap.parse_args(argv)

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbconvert import HTMLExporter
    from jupyter_client.kernelspec import NoSuchKernel

    name = os.path.splitext(os.path.basename(args.notebook))[0]
    try:
        nb = nbformat.read(args.notebook, as_version=4)
    except (OSError, ValueError) as e:
        print(f"run_notebook: cannot read {args.notebook}: {one_line(e)}", file=sys.stderr)
        return 1
    os.makedirs(args.outdir, exist_ok=True)

    client = NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
                            allow_errors=False, record_timing=True)
    cwd = os.path.dirname(os.path.abspath(args.notebook))
    failure = None
    ran = True
    try:
        client.execute(cwd=cwd)
    except CellExecutionError as e:
        found = cell_error(nb)
        if found:
            i, cell, out = found
            failure = (f"cell {i + 1} of {len(nb.cells)} ({one_line(cell.source, 60)!r}) failed: "
                       f"{out.get('ename', 'Error')}: {one_line(out.get('evalue', ''))}")
        else:
            failure = f"a cell failed: {one_line(e)}"
    except CellTimeoutError as e:
        failure = f"a cell ran longer than {CELL_TIMEOUT} s: {one_line(e)}"
    except DeadKernelError as e:
        failure = f"the kernel died: {one_line(e)}"
    except NoSuchKernel:
        failure = (f"no Jupyter kernel named {KERNEL!r}; run `make install` first "
                   f"(or set JUPYTER_PATH to build/<variant>/jupyter)")
        ran = False
    except RuntimeError as e:
        failure = f"could not run the notebook: {one_line(e)}"
        ran = False

    if not ran:
        print(f"run_notebook: {args.notebook}: {failure}", file=sys.stderr)
        return 1

    ipynb_path = os.path.join(args.outdir, name + ".ipynb")
    html_path = os.path.join(args.outdir, name + ".html")
    write_atomic(ipynb_path, nbformat.writes(nb))
    html, _ = HTMLExporter().from_notebook_node(nb)
    write_atomic(html_path, html)

    if failure:
        print(f"run_notebook: {args.notebook}: {failure} (partial results in {html_path})",
              file=sys.stderr)
        return 1

    print(f"Executed {args.notebook} on kernel {KERNEL!r}.")
    print(f"  notebook with outputs: {os.path.abspath(ipynb_path)}")
    print(f"  HTML report:           {os.path.abspath(html_path)}")
    print(f"Open the report:  xdg-open {os.path.abspath(html_path)}")
    print("Work interactively:  jupyter notebook   (or: jupyter lab)")
    print("  then open a notebook and choose the kernel \"AutoML\" (Kernel > Change kernel).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
