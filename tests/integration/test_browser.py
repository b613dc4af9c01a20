"""The notebook extension in a real browser.

A classic Notebook 6 server (Debian's jupyter-notebook) is started on a free port with
a random token, JUPYTER_PATH at this build's kernelspec (which carries kernel.js,
kernel.css and ext/) and the isolated Jupyter dirs of conftest.py; headless Chromium
drives it through chromedriver (Selenium). The tests write their notebooks, run them
from the Cell menu and check what the extension draws:

* the kernel "AutoML" is selected and idle, Run All finishes (%import, %show, %train,
  %evaluate);
* the CodeMirror mode "automl" colours the cells (cm-automl-magic on a magic name);
* %show draws a sortable table (a header click sorts it), %train a live dashboard
  updated in place and a sortable leaderboard, %evaluate its interactive view;
* Stop on the dashboard interrupts a %train budget=60s within seconds;
* a saved %evaluate output (tests/data/notebook/evaluate-output-*.json, the real output
  of %evaluate: the evaluation+json document plus its HTML and text fallbacks) is
  drawn by the evaluation renderer when the notebook is opened: the threshold slider
  changes the confusion matrix and the metrics, the ROC curve shows hover values.

Screenshots of every step go to build/$AUTOML_BUILD/screenshots/ (kept as artefacts).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import psutil
import pytest
from selenium import webdriver
from selenium.common.exceptions import JavascriptException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import harness

pytestmark = pytest.mark.browser

SHOTS = harness.REPO / "build" / harness.BUILD / "screenshots"
SPEC_DIR = harness.REPO / "build" / harness.BUILD / "jupyter" / "kernels" / "automl"
SHARE_DIR = harness.REPO / "share" / "jupyter" / "kernels" / "automl"
EVAL_OUTPUT = harness.REPO / "tests" / "data" / "notebook" / "evaluate-output-binary.json"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SLOW = harness.SLOW
MIME = "application/vnd.automl."


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout, interval=0.2):
    """fn() until it returns something truthy; its value, or AssertionError naming what."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except (JavascriptException, WebDriverException) as e:  # page not ready yet
            last_exc = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc})" if last_exc else ""))
        time.sleep(interval)


# ---- the server ---------------------------------------------------------------------


class NotebookServer:
    def __init__(self, root, log_path):
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = dict(os.environ)
        env["JUPYTER_PATH"] = str(SPEC_DIR.parents[1])
        env.pop("JUPYTER_CONFIG_PATH", None)
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "notebook", "--no-browser", "--ip=127.0.0.1",
             f"--port={self.port}", "--port-retries=0", f"--NotebookApp.token={self.token}",
             "--NotebookApp.password=", f"--notebook-dir={root}", "--allow-root",
             "--NotebookApp.open_browser=False", "--log-level=INFO"],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for("the notebook server to answer", self._up, 60 * SLOW, 0.3)
        except AssertionError:
            self.stop()
            raise

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"jupyter notebook exited ({self.proc.returncode}); "
                                 f"log: {self.log_path}")
        return self.api("GET", "/api/status") is not None

    def api(self, method, path, timeout=5):
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                body = r.read()
                return json.loads(body) if body else {}
        except (urllib.error.URLError, ConnectionError, OSError):
            return None

    def get(self, path):
        """(status, body) of an authenticated GET."""
        req = urllib.request.Request(self.url + path,
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, b""

    def notebook_url(self, name):
        return f"{self.url}/notebooks/{name}?token={self.token}"

    def shutdown_kernels(self):
        for k in self.api("GET", "/api/kernels") or []:
            self.api("DELETE", f"/api/kernels/{k['id']}", timeout=15)

    def stop(self):
        """Kernels first (they run in sessions of their own), then the server; whatever
        is left of the process tree is killed."""
        try:
            family = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            family = []
        try:
            self.shutdown_kernels()
        finally:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
            for p in family:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            self.log.close()


@pytest.fixture(scope="module")
def server(jupyter_dirs, tmp_path_factory):
    for f in ("kernel.js", "kernel.css", "ext/mode.js"):
        assert (SPEC_DIR / f).is_file(), f"{SPEC_DIR / f} missing: run `make all` first"
    SHOTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("notebooks")
    for attempt in range(3):  # the free port may be taken between the probe and the bind
        try:
            s = NotebookServer(root, SHOTS / "notebook-server.log")
            break
        except AssertionError:
            if attempt == 2:
                raise
    yield s
    s.stop()


# ---- the browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1400,1050", "--force-device-scale-factor=1",
              "--no-first-run", "--no-default-browser-check", "--disable-extensions",
              f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER,
                      log_output=str(SHOTS / "chromedriver.log")) \
        if "log_output" in Service.__init__.__code__.co_varnames \
        else Service(executable_path=CHROMEDRIVER, log_path=str(SHOTS / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    try:
        driver.quit()
    finally:
        proc = getattr(service, "process", None)
        if proc is not None and proc.poll() is None:
            proc.kill()


class Page:
    """One open notebook."""

    def __init__(self, driver, server, name, test):
        self.d = driver
        self.server = server
        self.name = name
        self.test = test
        self.step = 0
        driver.get(server.notebook_url(name))
        self.wait_ready()

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def shot(self, what):
        self.step += 1
        path = SHOTS / f"{self.test}-{self.step:02d}-{what}.png"
        self.d.save_screenshot(str(path))
        return path

    def console(self):
        try:
            return "\n".join(f"{e['level']}: {e['message']}" for e in self.d.get_log("browser"))
        except WebDriverException:
            return ""

    def assert_no_extension_errors(self):
        """Nothing the extension ran threw, and no renderer fell back to the HTML."""
        try:
            log = self.d.get_log("browser")
        except WebDriverException:
            return
        bad = [e["message"] for e in log if e["level"] == "SEVERE" and (
            "kernelspecs/automl" in e["message"] or "automl-ext" in e["message"])
            or ("Failed to render mimetype" in e["message"] and "vnd.automl" in e["message"])
            or "automl: the notebook extension did not load" in e["message"]]
        assert not bad, "errors in the browser console:\n" + "\n".join(bad)

    def wait_ready(self):
        try:
            wait_for("the notebook to load, the kernel to connect and the extension to load",
                     lambda: self.js(
                         "return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded"
                         " && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()"
                         " && document.body.classList.contains('automl-ext-loaded'))"),
                     60 * SLOW)
        except AssertionError as e:
            self.shot("not-ready")
            raise AssertionError(f"{e}\nbrowser console:\n{self.console()}") from None
        self.wait_idle(30 * SLOW)

    def idle(self):
        return self.js("return !Jupyter.notebook.kernel_busy && "
                       "$('#kernel_indicator_icon').hasClass('kernel_idle_icon')")

    def wait_idle(self, timeout):
        wait_for("the kernel to be idle", self.idle, timeout)

    def prompts(self):
        return self.js("return Jupyter.notebook.get_cells().filter(c => c.cell_type == 'code')"
                       ".map(c => c.input_prompt_number === undefined ? null"
                       " : c.input_prompt_number)")

    def run_all(self):
        self.d.find_element(By.ID, "celllink").click()
        wait_for("the Cell menu", lambda: self.d.find_element(By.ID, "run_all_cells")
                 .is_displayed(), 10)
        self.d.find_element(By.CSS_SELECTOR, "#run_all_cells > a").click()

    def wait_finished(self, timeout):
        """Every code cell has run (a number as prompt), none runs, the kernel is idle."""
        wait_for("Run All to finish", lambda: (
            all(isinstance(p, int) for p in self.prompts())
            and not self.d.find_elements(By.CSS_SELECTOR, ".cell.running")
            and self.idle()), timeout, 0.5)

    def cell(self, i):
        return self.d.find_elements(By.CSS_SELECTOR, "#notebook-container > .cell")[i]

    def close(self):
        """Leave without the unsaved-changes dialog; shut the kernel down."""
        try:
            self.js("Jupyter.notebook.set_dirty(false); window.onbeforeunload = null;")
        except WebDriverException:
            pass
        self.server.shutdown_kernels()
        self.d.get("about:blank")


class Notebooks:
    """Writes notebooks into the server's directory and opens them in the browser."""

    def __init__(self, driver, server, test):
        self.driver = driver
        self.server = server
        self.test = test
        self.pages = []

    def write(self, name, cells):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "automl", "display_name": "AutoML",
                                     "language": "automl"}
        for c in cells:
            nb.cells.append(c if isinstance(c, nbformat.NotebookNode)
                            else nbformat.v4.new_code_cell(c))
        nbformat.write(nb, str(self.server.root / name))

    def open(self, name):
        p = Page(self.driver, self.server, name, self.test)
        self.pages.append(p)
        return p


@pytest.fixture
def notebooks(browser, server, request):
    nbs = Notebooks(browser, server, request.node.name.replace("test_", ""))
    for old in SHOTS.glob(f"{nbs.test}-*.png"):  # this run's screenshots only
        old.unlink()
    yield nbs
    for p in nbs.pages:
        try:
            p.shot("last")  # what the page looked like at the end, passed or failed
        finally:
            p.close()


def column_values(table, k):
    return [td.text for td in table.find_elements(By.CSS_SELECTOR, f"tbody tr td:nth-child({k})")]


def header(table, label):
    for th in table.find_elements(By.CSS_SELECTOR, "thead th"):
        if th.text.replace("\u25B2", "").replace("\u25BC", "").strip() == label:
            return th
    raise AssertionError(f"no column {label!r} in the table")


def as_number(s):
    return float(s.replace(",", "").replace("%", "").replace("ms", "").replace("s", "")
                 .split("\u00B1")[0].strip())


# ---- the tests ----------------------------------------------------------------------


def test_extension_files_installed_and_served(server):
    """The build's kernelspec has the extension, byte for byte, and the server serves it
    where notebook 6 looks for it."""
    for src in [SHARE_DIR / "kernel.js", SHARE_DIR / "kernel.css",
                *sorted((SHARE_DIR / "ext").glob("*.js"))]:
        rel = src.relative_to(SHARE_DIR)
        assert (SPEC_DIR / rel).read_bytes() == src.read_bytes(), f"{rel} differs in the build"
        status, body = server.get(f"/kernelspecs/automl/{rel.as_posix()}")
        assert status == 200 and body == src.read_bytes(), f"/kernelspecs/automl/{rel}: {status}"
    spec = server.api("GET", "/api/kernelspecs/automl")
    assert set(spec["resources"]) >= {"kernel.js", "kernel.css"}, spec["resources"]


@pytest.mark.timeout(300)
def test_make_install_copies_the_extension(tmp_path):
    """`make install PREFIX=...` puts the extension beside kernel.json."""
    r = subprocess.run(["make", "-C", str(harness.REPO), "install", f"BUILD={harness.BUILD}",
                        f"PREFIX={tmp_path}"], capture_output=True, text=True, timeout=280)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    spec = tmp_path / "share" / "jupyter" / "kernels" / "automl"
    assert json.loads((spec / "kernel.json").read_text())["argv"][0] == \
        str(tmp_path / "bin" / "automl-kernel")
    for src in [SHARE_DIR / "kernel.js", SHARE_DIR / "kernel.css",
                *sorted((SHARE_DIR / "ext").glob("*.js"))]:
        rel = src.relative_to(SHARE_DIR)
        assert (spec / rel).read_bytes() == src.read_bytes(), f"{rel} not installed"


@pytest.mark.timeout(300)
def test_run_all_dashboard_tables_and_mode(notebooks):
    notebooks.write("train.ipynb", [
        "%import bank-marketing sample=3000",
        "%show rows=12",
        "# a short search\n%train target=y budget=8s as m1",
        "%evaluate m1",
    ])
    p = notebooks.open("train.ipynb")
    p.shot("opened")
    # the kernel "AutoML" is selected and idle
    assert p.js("return Jupyter.notebook.kernel.name") == "automl"
    assert p.d.find_element(By.CSS_SELECTOR, "#kernel_indicator .kernel_indicator_name").text \
        == "AutoML"
    assert p.idle()

    # the CodeMirror mode
    assert p.js("return Jupyter.notebook.codemirror_mode") == "automl"
    assert p.js("return Jupyter.notebook.get_cell(0).code_mirror.getOption('mode')") == "automl"
    magic = p.cell(0).find_element(By.CSS_SELECTOR, ".CodeMirror-code .cm-automl-magic")
    assert magic.text == "%import"
    assert "cm-keyword" in magic.get_attribute("class")
    keys = [e.text for e in p.cell(0).find_elements(By.CSS_SELECTOR, ".cm-automl-key")]
    assert keys == ["sample"]
    assert p.cell(0).find_element(By.CSS_SELECTOR, ".cm-number").text == "3000"
    assert p.cell(2).find_element(By.CSS_SELECTOR, ".cm-comment").text == "# a short search"
    assert p.cell(2).find_element(By.CSS_SELECTOR, ".cm-automl-as").text == "as"
    assert p.cell(2).find_element(By.CSS_SELECTOR, ".cm-number").text == "8s"
    # the kernel told the extension its magics (comm automl.session)
    wait_for("the magic names from the comm", lambda: p.js(
        "return +document.body.getAttribute('data-automl-magics') > 5"), 20 * SLOW)

    p.run_all()
    # the live dashboard: one element, redrawn in place as updates arrive
    live = "$('.cell.running .automl-dashboard.automl-live')"
    wait_for("the live training dashboard", lambda: p.js(f"return {live}.length == 1"),
             60 * SLOW)
    elapsed = f"{live}.find('.automl-stat-value').first().text()"
    first = p.js(f"return {elapsed}")
    p.js(f"var d = {live}[0]; if (d) d.scrollIntoView({{block: 'center'}})")
    p.shot("training")
    assert p.js(f"return {live}.find('.automl-stop').is(':visible')"), "no Stop while training"
    in_cell = "$('#notebook-container > .cell').eq(2).find('.automl-dashboard')"
    wait_for("the dashboard to update in place", lambda: p.js(
        f"return {in_cell}.length == 1 && {in_cell}.find('.automl-stat-value').first().text()"
        f" != {json.dumps(first)}"), 30 * SLOW)
    p.js(f"var d = {live}[0]; if (d) d.scrollIntoView({{block: 'center'}})")
    p.shot("training-later")
    p.wait_finished(120 * SLOW)
    p.shot("finished")
    assert p.prompts() == [1, 2, 3, 4]

    # %show: the frame renderer replaced the HTML fallback, and its table sorts
    out1 = p.cell(1)
    assert out1.find_elements(By.CSS_SELECTOR, ".output_automl_frame .automl-frame-view")
    assert not out1.find_elements(By.CSS_SELECTOR, ".output_html"), "fallback drawn too"
    preview = out1.find_element(By.CSS_SELECTOR, "table.automl-preview")
    ages = lambda: [int(v) for v in column_values(preview, 2)]
    original = ages()
    assert len(original) == 12 and original != sorted(original)
    header(preview, "age").click()
    assert ages() == sorted(original, reverse=True)
    assert header(preview, "age").get_attribute("aria-sort") == "descending"
    header(preview, "age").click()
    assert ages() == sorted(original)
    jobs_th = header(preview, "job")
    jobs_th.click()
    jobs = column_values(preview, 3)
    assert jobs == sorted(jobs, key=str.lower)
    p.js("arguments[0].scrollIntoView({block: 'center'})", preview)
    p.shot("sorted-preview")
    # the kernel still sent every fallback (saved in the notebook for other front ends)
    data = p.js("return Object.keys(Jupyter.notebook.get_cell(1).output_area.outputs[0].data)")
    assert set(data) >= {"text/plain", "text/html", MIME + "frame+json"}

    # %train: the dashboard's last state and the leaderboard
    out2 = p.cell(2)
    dashes = out2.find_elements(By.CSS_SELECTOR, ".automl-dashboard")
    assert len(dashes) == 1, "update_display_data must replace the dashboard, not add one"
    assert "automl-done" in dashes[0].get_attribute("class")
    assert not [b for b in dashes[0].find_elements(By.CSS_SELECTOR, ".automl-stop")
                if b.is_displayed()], "a finished dashboard has no Stop"
    assert dashes[0].find_elements(By.CSS_SELECTOR, "svg.automl-chart path.automl-line")
    assert dashes[0].find_elements(By.CSS_SELECTOR, "table.automl-top tbody tr")
    best = dashes[0].find_element(By.CSS_SELECTOR, ".automl-best .automl-stat-value").text
    assert 0.5 < float(best) <= 1.0
    board = out2.find_element(By.CSS_SELECTOR, ".automl-leaderboard-view table.automl-board")
    n = len(board.find_elements(By.CSS_SELECTOR, "tbody tr"))
    assert n >= 1
    header(board, "fit time").click()
    fits = [as_number(v) for v in column_values(board, 4)]
    assert fits == sorted(fits, reverse=True)
    header(board, "rank").click()
    assert [int(v) for v in column_values(board, 1)] == list(range(n, 0, -1))
    p.js("arguments[0].scrollIntoView({block: 'start'})", dashes[0])
    p.shot("dashboard-and-leaderboard")

    # %evaluate, live: the evaluation renderer, whose slider changes the numbers
    view = p.cell(3).find_element(By.CSS_SELECTOR,
                                  ".output_automl_evaluation .automl-evaluation-view")
    slider = view.find_element(By.CSS_SELECTOR, "input.automl-threshold")

    def numbers():
        return [e.text for e in view.find_elements(
            By.CSS_SELECTOR, ".automl-live-metrics .automl-card-value, td.automl-cm-cell")]
    before = numbers()
    assert len(before) == 9 and view.find_element(
        By.CSS_SELECTOR, ".automl-threshold-value").text == "0.50"
    p.js("arguments[0].scrollIntoView({block: 'center'})", slider)
    slider.click()
    slider.send_keys(Keys.HOME)
    assert view.find_element(By.CSS_SELECTOR, ".automl-threshold-value").text == "0.01"
    assert numbers() != before
    p.shot("evaluate")

    # saved and opened again: the extension draws the saved outputs, the dashboard with
    # its whole best-so-far chart (the kernel's "curve"), without a Stop button
    p.js("Jupyter.notebook.save_notebook()")
    wait_for("the notebook to be saved", lambda: p.js("return !Jupyter.notebook.dirty"), 20)
    p.d.refresh()
    p.wait_ready()
    dash = wait_for("the saved dashboard", lambda: p.d.find_elements(
        By.CSS_SELECTOR, ".automl-dashboard.automl-done"), 20 * SLOW)
    assert len(dash) == 1
    saved = p.js("return Jupyter.notebook.get_cell(2).output_area.outputs[0].data"
                 "['application/vnd.automl.progress+json'].curve")
    assert saved and len(dash[0].find_elements(By.CSS_SELECTOR, "circle.automl-dot")) >= \
        len(saved)
    assert not [b for b in dash[0].find_elements(By.CSS_SELECTOR, ".automl-stop")
                if b.is_displayed()]
    assert p.d.find_elements(By.CSS_SELECTOR, ".automl-leaderboard-view table.automl-board")
    assert p.d.find_elements(By.CSS_SELECTOR, ".automl-evaluation-view input.automl-threshold")
    p.js("arguments[0].scrollIntoView({block: 'start'})", dash[0])
    p.shot("reopened")
    p.assert_no_extension_errors()


@pytest.mark.timeout(240)
def test_stop_button_interrupts_training(notebooks):
    notebooks.write("stop.ipynb", [
        "%import bank-marketing sample=3000",
        "%train target=y budget=60s",
    ])
    p = notebooks.open("stop.ipynb")
    p.run_all()
    stop_sel = ".cell.running .automl-dashboard.automl-live .automl-stop"
    wait_for("the Stop button of a running %train", lambda: [
        b for b in p.d.find_elements(By.CSS_SELECTOR, stop_sel) if b.is_displayed()], 60 * SLOW)
    time.sleep(2)  # let a trial or two finish
    p.js("$('.cell.running .automl-dashboard')[0].scrollIntoView({block: 'center'})")
    p.shot("before-stop")
    wait_for("a click on Stop to reach the button", lambda: _click(p, stop_sel) and p.js(
        "return document.body.hasAttribute('data-automl-stop')"), 10, 0.5)
    t0 = time.monotonic()
    wait_for("the kernel to go idle after Stop", p.idle, 15 * SLOW, 0.1)
    took = time.monotonic() - t0
    p.wait_finished(10 * SLOW)
    p.js("$('#notebook-container > .cell').eq(1).find('.output_area').last()[0]"
         ".scrollIntoView({block: 'end'})")
    p.shot("after-stop")
    assert took < 8 * SLOW, f"the kernel took {took:.1f}s to stop"
    text = p.cell(1).find_element(By.CSS_SELECTOR, ".output").text
    assert "interrupted" in text, text[-2000:]
    # the dashboard shows Stop no more, and says it was stopped
    assert not [b for b in p.d.find_elements(By.CSS_SELECTOR, ".automl-stop") if b.is_displayed()]
    phase = p.cell(1).find_element(By.CSS_SELECTOR, ".automl-dashboard .automl-phase").text
    assert phase.startswith("stopped"), phase
    p.assert_no_extension_errors()


def _click(p, sel):
    for b in p.d.find_elements(By.CSS_SELECTOR, sel):
        if b.is_displayed():
            try:
                b.click()
                return True
            except WebDriverException:  # redrawn under the pointer: try the new one
                return False
    return False


@pytest.mark.timeout(180)
def test_saved_evaluation_slider_and_hover(notebooks):
    out = nbformat.from_dict(json.loads(EVAL_OUTPUT.read_text()))
    doc = out["data"][MIME + "evaluation+json"]
    cell = nbformat.v4.new_code_cell("%evaluate m1", execution_count=4, outputs=[out])
    notebooks.write("evaluation.ipynb", [cell])
    p = notebooks.open("evaluation.ipynb")
    view = wait_for("the evaluation renderer", lambda: p.d.find_elements(
        By.CSS_SELECTOR, ".output_automl_evaluation .automl-evaluation-view"), 20 * SLOW)[0]
    assert not p.cell(0).find_elements(By.CSS_SELECTOR, ".output_html"), "fallback drawn too"
    assert p.prompts() == [4], "opening the notebook must not run it"
    p.shot("opened")

    slider = view.find_element(By.CSS_SELECTOR, "input.automl-threshold")
    grid = doc["threshold_grid"]

    def shown():
        cm = [int(td.text.replace(",", "")) for td in
              view.find_elements(By.CSS_SELECTOR, "table.automl-confusion td.automl-cm-cell")]
        m = {k: view.find_element(By.CSS_SELECTOR, f".automl-m-{k} .automl-card-value").text
             for k in ("accuracy", "precision", "recall", "f1")}
        t = float(view.find_element(By.CSS_SELECTOR, ".automl-threshold-value").text)
        return t, cm, m

    def expect(t, cm, m):
        row = min(grid, key=lambda r: abs(r["threshold"] - t))
        assert abs(row["threshold"] - t) < 1e-9
        assert cm == [row["tn"], row["fp"], row["fn"], row["tp"]]
        for k in m:
            assert m[k] == f"{row[k]:.4f}", (k, m[k], row[k])

    t0, cm0, m0 = shown()
    assert t0 == doc["threshold"]
    expect(t0, cm0, m0)
    # the notebook's own confusion matrix at the model's threshold
    assert cm0 == [v for r in doc["confusion_matrix"]["counts"] for v in r]

    # move the slider with the keyboard: 15 steps down
    slider.click()  # focus (a click also moves it to where it lands)
    slider.send_keys(Keys.HOME)
    t_home, cm_home, m_home = shown()
    assert t_home == grid[0]["threshold"]
    expect(t_home, cm_home, m_home)
    for _ in range(25):
        slider.send_keys(Keys.ARROW_RIGHT)
    t1, cm1, m1 = shown()
    assert abs(t1 - grid[25]["threshold"]) < 1e-9
    expect(t1, cm1, m1)
    assert cm1 != cm0 and m1 != m0
    assert p.prompts() == [4], "arrow keys on the slider must not reach the notebook"
    p.shot("slider-moved")

    # dragging works too
    ActionChains(p.d).click_and_hold(slider).move_by_offset(slider.size["width"] // 3, 0) \
        .release().perform()
    t2, cm2, m2 = shown()
    assert t2 > t1
    expect(t2, cm2, m2)
    # the operating point follows on the ROC curve
    marker = view.find_element(By.CSS_SELECTOR, "svg.automl-roc .automl-marker")
    assert marker.get_attribute("visibility") == "visible"
    assert f"{t2:.2f}" in marker.text

    # hover values on the ROC and precision-recall curves
    for cls, words in (("automl-roc", ("FPR", "TPR")), ("automl-pr", ("recall", "precision"))):
        chart = view.find_element(By.CSS_SELECTOR, f"svg.{cls}")
        p.js("arguments[0].scrollIntoView({block: 'center'})", chart)
        overlay = chart.find_element(By.CSS_SELECTOR, ".automl-overlay")
        ActionChains(p.d).move_to_element_with_offset(overlay, -overlay.size["width"] // 4,
                                                      0).perform()
        tip = wait_for(f"a hover value on {cls}", lambda: chart.get_attribute("data-hover"), 5)
        assert all(w in tip for w in words), tip
        assert chart.find_element(By.CSS_SELECTOR, ".automl-hover").get_attribute(
            "visibility") == "visible"
        p.shot(f"hover-{cls}")

    # the saved output keeps every form (nbconvert, JupyterLab, VS Code show the fallbacks)
    data = p.js("return Object.keys(Jupyter.notebook.get_cell(0).output_area.toJSON()[0].data)")
    assert set(data) == {"text/plain", "text/html", MIME + "evaluation+json"}
    p.assert_no_extension_errors()


@pytest.mark.timeout(120)
def test_saved_evaluation_multiclass_and_regression(notebooks):
    cells = []
    for kind in ("multiclass", "regression"):
        out = nbformat.from_dict(json.loads(
            (EVAL_OUTPUT.parent / f"evaluate-output-{kind}.json").read_text()))
        cells.append(nbformat.v4.new_code_cell(f"%evaluate {kind}", execution_count=len(cells) + 1,
                                               outputs=[out]))
    notebooks.write("evaluations.ipynb", cells)
    p = notebooks.open("evaluations.ipynb")
    views = wait_for("the evaluation renderers", lambda: (lambda v: len(v) == 2 and v)(
        p.d.find_elements(By.CSS_SELECTOR, ".automl-evaluation-view")), 20 * SLOW)
    mc, rg = views
    doc = json.loads((EVAL_OUTPUT.parent / "evaluate-output-multiclass.json").read_text())[
        "data"][MIME + "evaluation+json"]
    k = len(doc["classes"])

    # multiclass: no slider; the k x k confusion matrix as counted; a sortable per-class
    # table; one ROC curve per class, with hover values
    assert not mc.find_elements(By.CSS_SELECTOR, "input.automl-threshold")
    cells_ = [int(td.text.replace(",", "")) for td in
              mc.find_elements(By.CSS_SELECTOR, "table.automl-confusion td.automl-cm-cell")]
    assert cells_ == [v for r in doc["confusion_matrix"]["counts"] for v in r]
    table = mc.find_element(By.CSS_SELECTOR, "table.automl-per-class")
    header(table, "F1").click()
    f1 = [float(v) for v in column_values(table, 4)]
    assert f1 == sorted(f1, reverse=True) and len(f1) == k
    roc = mc.find_element(By.CSS_SELECTOR, "svg.automl-roc")
    assert len(roc.find_elements(By.CSS_SELECTOR, "path.automl-line")) == k
    p.js("arguments[0].scrollIntoView({block: 'center'})", roc)
    overlay = roc.find_element(By.CSS_SELECTOR, ".automl-overlay")
    ActionChains(p.d).move_to_element_with_offset(overlay, -overlay.size["width"] // 3,
                                                  0).perform()
    tip = wait_for("a hover value on the ROC curves", lambda: roc.get_attribute("data-hover"), 5)
    assert any(tip.startswith(c + ":") for c in doc["classes"]) and "TPR" in tip, tip
    p.shot("multiclass")

    # regression: the metrics and predicted against actual, with the row under the pointer
    cards = {e.find_element(By.CSS_SELECTOR, ".automl-card-label").text:
             e.find_element(By.CSS_SELECTOR, ".automl-card-value").text
             for e in rg.find_elements(By.CSS_SELECTOR, ".automl-card")}
    rdoc = json.loads((EVAL_OUTPUT.parent / "evaluate-output-regression.json").read_text())[
        "data"][MIME + "evaluation+json"]
    assert cards["RMSE"] == f"{rdoc['metrics']['rmse']:.4f}"
    scatter = rg.find_element(By.CSS_SELECTOR, "svg.automl-scatter")
    assert len(scatter.find_elements(By.CSS_SELECTOR, "circle.automl-dot")) == \
        len(rdoc["residuals"]["actual"])
    p.js("arguments[0].scrollIntoView({block: 'center'})", scatter)
    overlay = scatter.find_element(By.CSS_SELECTOR, ".automl-overlay")
    ActionChains(p.d).move_to_element(overlay).perform()
    tip = wait_for("a hover value on the scatter", lambda: scatter.get_attribute("data-hover"), 5)
    assert tip.startswith("row ") and "actual" in tip and "predicted" in tip, tip
    p.shot("regression")
    p.assert_no_extension_errors()


# The mode's tokens: (text, CodeMirror style) for each non-blank token of a cell.
TOKENIZE_JS = """
var CM = requirejs('codemirror/lib/codemirror'), mode = CM.getMode({}, 'automl');
var state = CM.startState(mode), out = [];
arguments[0].split('\\n').forEach(function (line) {
    if (!line.length && mode.blankLine) mode.blankLine(state);
    var s = new CM.StringStream(line, 4);
    while (!s.eol()) {
        var style = mode.token(s, state);
        if (s.current().trim()) out.push([s.current(), style]);
        s.start = s.pos;
    }
});
return out;
"""

MODE_CASES = [
    ('%import data.csv as bank sep=";" target=y',
     [("%import", "keyword automl-magic"), ("data.csv", "variable-2"),
      ("as", "keyword automl-as"), ("bank", "def automl-name"),
      ("sep", "attribute automl-key"), ("=", "operator"), ('";"', "string"),
      ("target", "attribute automl-key"), ("=", "operator"), ("y", "variable-3")]),
    ("%train target=y budget=90s max_memory=4G seed=-3 models=xgb,linear --verbose",
     [("%train", "keyword automl-magic"), ("target", "attribute automl-key"), ("=", "operator"),
      ("y", "variable-3"), ("budget", "attribute automl-key"), ("=", "operator"),
      ("90s", "number"), ("max_memory", "attribute automl-key"), ("=", "operator"),
      ("4G", "number"), ("seed", "attribute automl-key"), ("=", "operator"), ("-3", "number"),
      ("models", "attribute automl-key"), ("=", "operator"), ("xgb", "variable-3"),
      (",", "punctuation"), ("linear", "variable-3"), ("--verbose", "attribute automl-key")]),
    ("  # a comment %train\n%nosuch x\n%train?\nhello there\nexit",
     [("# a comment %train", "comment"),
      ("%nosuch", "keyword automl-magic automl-magic-unknown"), ("x", "variable-2"),
      ("%train", "keyword automl-magic"), ("?", "operator"),
      ("hello there", "error"), ("exit", "keyword")]),
    ('%echo "two\nlines" done\n%plot x=age \\\n    kind=hist',
     [("%echo", "keyword automl-magic"), ('"two', "string"), ('lines"', "string"),
      ("done", "variable-2"), ("%plot", "keyword automl-magic"),
      ("x", "attribute automl-key"), ("=", "operator"), ("age", "variable-3"),
      ("\\", "meta"), ("kind", "attribute automl-key"), ("=", "operator"),
      ("hist", "variable-3")]),
    ("%%echo --stderr\n%body is text\n%%echo",
     [("%%echo", "keyword automl-magic"), ("--stderr", "attribute automl-key"),
      ("%body is text", None), ("%%echo", None)]),
    ("%show\n%%echo",
     [("%show", "keyword automl-magic"), ("%%echo", "error")]),
]


@pytest.mark.timeout(120)
def test_codemirror_mode_tokens(notebooks):
    notebooks.write("mode.ipynb", ["%version"])
    p = notebooks.open("mode.ipynb")
    for text, expected in MODE_CASES:
        got = [tuple(t) for t in p.js(TOKENIZE_JS, text)]
        assert got == expected, f"{text!r}:\n got      {got}\n expected {expected}"
    # the kernel's list replaces the built-in one: a name it does not have is unknown
    wait_for("the magic names from the comm", lambda: p.js(
        "return +document.body.getAttribute('data-automl-magics') > 5"), 20 * SLOW)
    kernel_magics = p.js("return requirejs('automl-ext/mode').isKnown('train') && "
                         "!requirejs('automl-ext/mode').isKnown('nosuch')")
    assert kernel_magics
    p.assert_no_extension_errors()
