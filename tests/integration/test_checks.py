"""The repository's own checks (tools/check-*, run by `make check` before the tests):
each one fails, one line per violation naming FILE:LINE, on violations planted in a
small git repository, and passes on this repository.  One section per check."""

import json
import subprocess

from harness import REPO


def git_repo(root, files):
    """A git work tree at ROOT holding FILES ({path: text}), added to the index."""
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return root


def run(check, *args):
    return subprocess.run([str(REPO / "tools" / check), *args], capture_output=True, text=True,
                          timeout=120)


# ---- tools/check-self-contained ----

# Built from parts so that this file itself names no path outside the repository.
UP = "../"
SHARED_CSV = UP + "shared/data/x.csv"


def packages_makefile(deps="", bench=""):
    return f"print-packages:\n\t@echo 'deps: {deps}'\n\t@echo 'bench: {bench}'\n"


def self_contained(tmp_path, files, deps="", bench=""):
    root = git_repo(tmp_path / "repo", {"Makefile": packages_makefile(deps, bench), **files})
    return run("check-self-contained", "--root", str(root))


def test_self_contained_passes_on_this_repository():
    out = run("check-self-contained")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("check-self-contained: ok")


def test_self_contained_flags_a_path_to_a_sibling(tmp_path):
    out = self_contained(tmp_path, {
        "tests/unit/test_x.c": f'/* reads data */\nFILE *f = fopen("{SHARED_CSV}", "r");\n',
        "mk/data.mk": f"data:\n\tgzip -9n < {UP}{SHARED_CSV} > share/x.gz\n",
        "README.md": f"See `{SHARED_CSV}`.\n",
    })
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        f"README.md:1: '{SHARED_CSV}' leaves the repository (from ./ and from the root)",
        f"mk/data.mk:2: '{UP}{SHARED_CSV}' leaves the repository (from mk/ and from the root)",
        f"tests/unit/test_x.c:2: '{SHARED_CSV}' names tests/shared, which is not in the "
        "repository (a sibling a clone does not have)",
    ]


def test_self_contained_passes_paths_that_stay_inside(tmp_path):
    out = self_contained(tmp_path, {
        ".gitignore": "/build/\n",
        "engine/aml.h": "/* the header */\n",
        "tests/unit/test_x.c": f'#include "{UP}{UP}engine/aml.h"\n'
                               f'snprintf(b, n, "%s/{UP}{UP}{UP}tests/data", exe_dir);\n'
                               f'const char *out = "{UP}{UP}build/release/x";\n',
        "docs/a.md": f"The header is `{UP}engine/aml.h`; so on.../ and etc.\n",
    })
    assert out.returncode == 0, out.stdout
    assert "ok" in out.stdout


def test_self_contained_flags_an_unlisted_debian_module(tmp_path):
    # jupyter_client comes from python3-jupyter-client on every machine that runs these
    # tests; sklearn from python3-sklearn once `make deps` ran.
    out = self_contained(tmp_path, {
        "tests/integration/test_a.py": "import os\n\nimport jupyter_client\nimport sklearn\n",
    })
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0] == ("tests/integration/test_a.py:3: imports jupyter_client from Debian "
                        "package python3-jupyter-client, which the Makefile's DEB_PACKAGES "
                        "(make deps) does not list")
    assert lines[1].startswith("tests/integration/test_a.py:4: imports sklearn")
    assert len(lines) == 2, "os is standard library"


def test_self_contained_reads_the_package_lists_from_make(tmp_path):
    files = {"tests/integration/test_a.py": "import jupyter_client\n",
             "tests/integration/harness.py": "X = 1\n",
             "tests/integration/test_b.py": "from harness import X\nimport json, re\n"}
    assert self_contained(tmp_path / "a", files, deps="python3-jupyter-client").returncode == 0
    out = self_contained(tmp_path / "b", files, bench="python3-jupyter-client")
    assert out.returncode == 1, "the bench list does not count outside tests/bench"
    assert out.stdout.startswith("tests/integration/test_a.py:1: imports jupyter_client")


def test_self_contained_bench_scripts_may_use_the_bench_list(tmp_path):
    bench = {"tests/bench/peer": "#!/usr/bin/python3\nimport jupyter_client\n"
                                 "import no_such_peer_module\n"}
    out = self_contained(tmp_path / "a", bench, bench="python3-jupyter-client")
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "tests/bench/peer:3: imports no_such_peer_module, which is not installed: make deps "
        "does not install it (the Makefile's DEB_PACKAGES or BENCH_PACKAGES holds no "
        "python3-no-such-peer-module)"]
    listed = self_contained(tmp_path / "b", bench,
                            bench="python3-jupyter-client python3-no-such-peer-module")
    assert listed.returncode == 0, listed.stdout


def test_self_contained_reads_python_notebooks_only(tmp_path):
    def notebook(language, source):
        return json.dumps({"metadata": {"kernelspec": {"name": language, "language": language}},
                           "cells": [{"cell_type": "code", "source": source}]})
    out = self_contained(tmp_path, {
        "notebooks/py.ipynb": notebook("python", ["%matplotlib inline\n", "import no_such_mod"]),
        "notebooks/aml.ipynb": notebook("automl", ["%import no_such_data.csv"]),
        "tools/gen.py": "import no_such_tool_module\n",
    })
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert [line.split(": imports ")[0] for line in lines] == [
        "notebooks/py.ipynb:2", "tools/gen.py:1"]
    assert all("which is not installed: make deps does not install it" in line
               for line in lines)


# ---- tools/check-layers ----

ORDER = "Layer order: base < data < learn < search\n"


def layered(tmp_path, files, order=ORDER):
    """A tree with docs/architecture.md's layer order and a clean engine, plus FILES."""
    root = tmp_path / "repo"
    tree = {
        "docs/architecture.md": f"# Architecture\n\n{order}",
        "engine/include/aml.h": '#include "aml_base.h"\n#include "aml_search.h"\n',
        "engine/include/aml_base.h": "",
        "engine/include/aml_data.h": '#include "aml_base.h"\n',
        "engine/include/aml_learn.h": '#include "aml_data.h"\n',
        "engine/include/aml_search.h": '#include "aml_learn.h"\n',
        "engine/base/alloc.c": '#include "aml_base.h"\n',
        "engine/data/csv.c": '#include "data/data_internal.h"\n#include "aml_base.h"\n',
        "engine/data/data_internal.h": '#include "aml_data.h"\n',
        "engine/learn/learner.c": '#include "aml_learn.h"\n#include "aml_data.h"\n',
        "engine/search/search.c": '#include "aml_learn.h"\n',
        "kernel/kn_shell.c": '#include "kn_internal.h"\n#include <zmq.h>\n',
        **files,
    }
    for path, text in tree.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return run("check-layers", "--root", str(root))


def test_layers_pass_on_this_repository():
    out = run("check-layers")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("check-layers: ok (base < ")


def test_layers_pass_on_a_clean_tree(tmp_path):
    out = layered(tmp_path, {})
    assert out.returncode == 0, out.stdout + out.stderr


def test_layers_flag_another_subfolders_internal_header(tmp_path):
    out = layered(tmp_path, {"engine/search/search.c": '#include "aml_learn.h"\n'
                                                       '#include "data/data_internal.h"\n'})
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "engine/search/search.c:2: includes data/data_internal.h, the internal header of "
        "data; use aml_data.h"]


def test_layers_flag_an_include_from_above(tmp_path):
    out = layered(tmp_path, {
        "engine/data/csv.c": '#include "aml_search.h"\n',
        "engine/include/aml_data.h": '#include "aml_base.h"\n#include "aml_learn.h"\n',
        "engine/learn/learner.c": '#include "aml.h"\n',
    })
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "engine/data/csv.c:1: data includes aml_search.h, but search is above data in the "
        "layer order",
        "engine/learn/learner.c:1: includes aml.h, the umbrella of every layer; include the "
        "headers of the subsystems used",
        "engine/include/aml_data.h:2: data includes aml_learn.h, but learn is above data in "
        "the layer order",
    ]


def test_layers_follow_the_documents_order(tmp_path):
    # the same tree is wrong once the document puts search below learn
    out = layered(tmp_path, {}, order="Layer order: base < data < search < learn\n")
    assert out.returncode == 1
    assert "engine/include/aml_search.h:1: search includes aml_learn.h, but learn is above " \
           "search in the layer order" in out.stdout


def test_layers_flag_the_kernel_and_the_engine_crossing(tmp_path):
    out = layered(tmp_path, {
        "kernel/kn_shell.c": '#include "kn_internal.h"\n#include "aml.h"\n#include "mg.h"\n',
        "engine/base/alloc.c": '#include "aml_base.h"\n#include "kn.h"\n#include "srv.h"\n',
    })
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "engine/base/alloc.c:2: the engine includes kn.h of kernel",
        "engine/base/alloc.c:3: the engine includes srv.h of serve",
        "kernel/kn_shell.c:2: the kernel includes aml.h of the engine",
        "kernel/kn_shell.c:3: the kernel includes mg.h of the magics",
    ]


def test_layers_flag_folders_and_headers_outside_the_scheme(tmp_path):
    out = layered(tmp_path, {
        "engine/vision/conv.c": '#include "aml_base.h"\n',
        "engine/data/frame_internal.h": "",
        "engine/include/aml_frame.h": "",
    })
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "engine/data/frame_internal.h: a subfolder has one header, data_internal.h",
        "engine/vision: a subsystem not in the layer order of docs/architecture.md",
        "engine/include/aml_frame.h: a public header is aml_<subsystem>.h for a subsystem of "
        "the layer order",
    ]
