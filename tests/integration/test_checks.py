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
