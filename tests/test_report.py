"""`bench report`: the site from fabricated rows (every task group, seeds, paper numbers, audits, a failed row) and
from real `bench run` rows through the demo's last step; atomic replacement and the errors; and the pages in
headless Chromium (no console errors, the tables hold the rows' numbers, sortable, no sideways scrolling at
1280x800, screenshots)."""
import base64
import contextlib
import dataclasses
import io
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench import leaderboard as lb
from bench.cli import main
from bench.report import model
from bench.report.markup import fmt
from bench.results import ResultRow, write_row
from cli_run import bench_run
from system_packages import ensure_debian_packages
from test_results import _row

PAIR = ("simmim-swin-b", "sup-swin-b")
CELLS = [  # task, dataset, split, protocol, metric, higher is better, MIM values (per seed), supervised values
    ("pose", "coco", "val2017", "vitpose", "AP", True, (0.75, 0.76, 0.77), (0.73, 0.74, 0.745)),
    ("depth", "nyu", "test", "glp", "rmse", False, (0.30, 0.31, 0.305), (0.33, 0.335, 0.34)),
    ("classification", "cub", "test", "finetune", "top1", True, (85.0, 86.0, 85.5), (87.0, 87.5, 88.0)),
    ("classification", "cifar10", "test", "finetune", "top1", True, (97.0, 97.2, 97.1), (98.0, 98.1, 98.3)),
    ("detection", "coco", "val2017", "maskrcnn_1x", "bbox_mAP", True, (0.50, 0.51, 0.52), (0.48, 0.49)),
]
ENV = {"python": "3.11.7", "torch": "2.14.1", "device": "cpu", "lock_sha256": "ab" * 32, "git_commit": "c0ffee" * 6}
AUDIT = {"n_checkpoint_tensors": 10, "n_loaded": 10, "n_dropped": 0, "n_missing": 0, "n_problems": 0, "ok": True}
RECIPE = {"kind": "paper", "deviations": [{"setting": "base_lr", "published": 5e-4, "resolved": 1e-3, "source": "ViT",
                                           "status": "DEVIATES", "reason": "asked for by the run"}],
          "intended": [{"setting": "drop_path", "published": 0.3, "resolved": 0.1, "status": "intended",
                        "reason": "smaller model", "source": "ViTPose"}]}
REFERENCE = ("task,dataset,split,protocol,schedule,backbone,metric,value,higher_is_better,source\n"
             "pose,coco,val2017,paper,full,simmim-swin-b,AP,0.78,True,test\n"
             "pose,coco,val2017,paper,full,sup-swin-b,AP,0.765,True,test\n")


def _fabricate(results: Path):
    has_recipe = "recipe_audit" in {f.name for f in dataclasses.fields(ResultRow)}
    for task, dataset, split, protocol, metric, higher, *values in CELLS:
        for backbone, series in zip(PAIR, values):
            for seed, value in enumerate(series):
                kw = dict(cell_key=f"{task[:5]}-{dataset}-{backbone[:3]}-{seed}", backbone=backbone, seed=seed,
                          cell_id=f"{task}{dataset}{backbone}", task=task, dataset=dataset, split=split,
                          protocol=protocol, primary_metric=metric, higher_is_better=higher, metrics={metric: value},
                          metric_directions={metric: higher}, env=dict(ENV), load_audit=dict(AUDIT),
                          timings={"wall_s": 12.5},
                          extra={"losses": {"loss": [2.0 / (i + 1 + seed) for i in range(40)]}})
                if (task, backbone, seed) == ("pose", PAIR[0], 0):  # a recipe audit (a row field, or in extra)
                    (kw if has_recipe else kw["extra"])["recipe_audit"] = RECIPE
                    kw["env"]["torch"] = "2.13.0"
                if (task, backbone, seed) == ("pose", PAIR[1], 2):
                    kw["load_audit"] = {**AUDIT, "n_loaded": 8, "n_missing": 2, "n_problems": 2, "ok": False}
                write_row(results, _row(**kw))
    write_row(results, _row(cell_key="pose-random-0", cell_id="rnd", backbone="demo-random", metrics={"AP": 0.2},
                            split="val2017", protocol="vitpose", env=dict(ENV)))
    write_row(results, _row(cell_key="track-failed-0", cell_id="trk", status="failed", backbone=PAIR[0],
                            task="tracking", dataset="got10k", split="val", protocol="swintrack_tiny",
                            primary_metric="AO", metrics={}, error="RuntimeError: out of memory", env=dict(ENV)))


def _bench(*argv):
    """`bench ARGV` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A report of fabricated rows (with a reference table listing both sides of a pair) and a real analysis."""
    root = tmp_path_factory.mktemp("report")
    results, ref = root / "results", root / "reference"
    _fabricate(results)
    ref.mkdir()
    (ref / "paper.csv").write_text(REFERENCE)
    assert _bench("analyze", "--backbone", "demo-random", "--toy", "--n-images", 4, "--out", root / "analysis")[0] == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lb, "REFERENCE_DIR", ref)
        code, out, err = _bench("report", "--results", results, "--out", root / "site", "--analysis",
                                root / "analysis")
    assert code == 0, err
    return root / "site", results, out


def _local_links(page: Path):
    return [u for u in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()) if not u.startswith(("#", "data:"))]


def test_task_groups():
    assert [model.task_group(t, d) for t, d in [("pose", "coco"), ("depth", "nyu"), ("tracking", "lasot"),
                                                ("classification", "cub"), ("classification", "cifar10"),
                                                ("segmentation", "ade20k"), ("detection", "coco"),
                                                ("classification", "imagefolder")]] == [
        "geometric/motion", "geometric/motion", "geometric/motion", "fine-grained", "semantic", "semantic",
        "combined", "other"]


def test_site_from_fabricated_rows(site):
    out, results, stdout = site
    assert stdout.strip() == f"report: {out / 'index.html'}"
    pages = sorted(p.name for p in out.glob("*.html"))
    assert pages == ["analysis.html", "index.html", "task-classification.html", "task-depth.html",
                     "task-detection.html", "task-pose.html", "task-tracking.html"]
    for page in out.glob("*.html"):  # self-contained: every link and image is a file of the site, nothing remote
        text = page.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
        for url in _local_links(page):
            assert (out / urllib.parse.unquote(url)).is_file(), (page.name, url)
    index = (out / "index.html").read_text()
    assert [g for g in model.GROUPS if f"<h2>{g}</h2>" in index] == ["geometric/motion", "fine-grained", "semantic",
                                                                     "combined"]
    mim, sup = (0.75, 0.76, 0.77), (0.73, 0.74, 0.745)
    delta = sum(mim) / 3 - sum(sup) / 3
    paired = lb.ci95([a - b for a, b in zip(mim, sup)])
    assert f"{delta:+.4g}" in index and f">{fmt(paired, 3)}<" in index and ">0.7383<" in index
    assert '<span title="combined">' in index  # detection: 3 vs 2 seeds, CIs combined
    geometric = (out / "img" / "delta-geometric_motion.svg").read_text()
    assert "+0.015 (paper)" in geometric and "#3a9a5b" in geometric  # the paper's delta; depth: lower RMSE is better
    bars = "".join(p.read_text() for p in (out / "img").glob("pose-bars-*.svg"))
    assert "[paper] simmim-swin-b" in bars and "[paper] sup-swin-b" in bars  # the paper's numbers as markers
    pose = (out / "task-pose.html").read_text()
    assert "1 deviating (base_lr)" in pose and "smaller model" in pose and "8/10 tensors loaded" in pose
    assert pose.count('class="flag"') >= 3 and "no checkpoint (random init)" in pose
    assert "2.13.0 (1 rows)" in pose  # differing versions are shown per value
    assert "bench run --backbone simmim-swin-b --task pose --dataset coco --protocol vitpose" in pose
    tracking = (out / "task-tracking.html").read_text()
    assert "RuntimeError: out of memory" in tracking and ">failed<" in tracking
    copied = out / "rows" / "pose" / "pose-coco-sim-0.json"
    assert copied.read_bytes() == (results / "pose" / "pose-coco-sim-0.json").read_bytes()
    analysis = (out / "analysis.html").read_text()
    assert "attention_distance.png" in analysis and "Layer CKA" in analysis and (out / "analysis" /
                                                                                 "analysis.json").is_file()


def test_replace_refuse_and_errors(tmp_path):
    results, out = tmp_path / "results", tmp_path / "out"
    write_row(results, _row(cell_key="a0"))
    assert _bench("report", "--results", results, "--out", out)[0] == 0
    (out / "stale.txt").write_text("from before")
    assert _bench("report", "--results", results, "--out", out)[0] == 0  # an earlier report is replaced whole
    assert not (out / "stale.txt").exists() and (out / "index.html").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no temp folders left behind
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("x")
    for argv, message in [(["--results", results, "--out", foreign], "holds no earlier report"),
                          (["--results", results, "--out", tmp_path / "file"], "is a file"),
                          (["--results", tmp_path / "none", "--out", out], "no such folder"),
                          (["--results", results, "--out", out, "--analysis", tmp_path], "no analysis.json"),
                          (["--results", results, "--out", out, "--filter", "task=depth"], "no result rows"),
                          (["--results", results, "--out", out, "--filter", "colour=red"], "expected KEY=VALUE")]:
        code, _, err = _bench("report", *argv)
        assert code == 2 and message in err, (argv, err)
    assert (foreign / "notes.txt").read_text() == "mine" and (out / "index.html").is_file()


def test_site_from_demo_rows(tmp_path, capsys):
    """Real rows of the demo's variants (`bench run`), then the demo's own last step (analysis + report)."""
    from bench.demo import report_step
    from bench.tasks.depth.toy import write_toy_depth

    data, results = tmp_path / "nyu", tmp_path / "results"
    write_toy_depth(data, "nyu", 12, 4, seed=0)
    rows = {}
    for variant in ("demo-simmim", "demo-supervised"):
        rows[variant], _ = bench_run(["--backbone", variant, "--task", "depth", "--dataset", "nyu", "--protocol",
                                      "toy", "--data-root", str(data), "--epochs", "1", "--cfg-options",
                                      "log_level=WARNING"], results, capsys, work_dir=tmp_path / variant)
    index = report_step(tmp_path, results, {})
    assert index == tmp_path / "report" / "index.html" and f"report: {index}" in capsys.readouterr().out
    site = index.parent
    depth = (site / "task-depth.html").read_text()
    for row in rows.values():
        assert f">rmse {fmt(row['metrics']['rmse'])}<" in depth
        assert (site / "rows" / "depth" / f"{row['cell_key']}.json").is_file()
    assert "bench run --backbone demo-simmim --task depth --dataset nyu --protocol toy" in depth
    delta = rows["demo-simmim"]["metrics"]["rmse"] - rows["demo-supervised"]["metrics"]["rmse"]
    assert f"{delta:+.4g}" in index.read_text() and (site / "img" / "delta-geometric_motion.svg").is_file()
    assert "demo-supervised" in (site / "analysis.html").read_text()


class Browser:
    """Headless Chromium driven over the DevTools protocol (a minimal stdlib websocket client)."""

    def __init__(self, binary: str, profile: Path):
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1280,800",
             "--hide-scrollbars", "about:blank"], stdout=subprocess.DEVNULL,
            stderr=open(profile.parent / "chromium.log", "w"), stdin=subprocess.DEVNULL)
        port_file, deadline = profile / "DevToolsActivePort", time.time() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            assert self.proc.poll() is None and time.time() < deadline, "chromium did not start"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        url = urllib.parse.urlparse(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET {url.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                          .encode())
        self.buf, self.next_id, self.events = b"", 0, []
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=800, deviceScaleFactor=1, mobile=False)

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            assert chunk, "chromium closed the connection"
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _message(self) -> dict:
        payload = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            n = int.from_bytes(self._read(2 if n == 126 else 8), "big") if n >= 126 else n
            payload += self._read(n)
            if b0 & 0x80:
                return json.loads(payload)

    def call(self, method: str, **params):
        """Send one DevTools command and return its result (events that arrive meanwhile are kept)."""
        self.next_id += 1
        data, mask = json.dumps({"id": self.next_id, "method": method, "params": params}).encode(), os.urandom(4)
        n = len(data)
        size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        self.sock.sendall(b"\x81" + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        while True:
            msg = self._message()
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg["result"]
            self.events.append(msg)

    def open(self, url: str):
        """Navigate and wait for the load event (images included)."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._message())

    def eval(self, expression: str):
        """The JSON value of a JavaScript expression on the page."""
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def errors(self) -> list:
        """Console errors, uncaught exceptions and failed loads since the last `open`."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.exceptionThrown" or (
                    e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert")) or (
                    e.get("method") == "Log.entryAdded" and p["entry"].get("level") == "error"):
                out.append(p)
        return out

    def screenshot(self, path: Path):
        """The viewport (1280x800) as a PNG."""
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self):
        """Stop this browser process."""
        self.sock.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium from Debian's packages (installed here when missing and apt-get can), else the test skips."""
    ok, reason = ensure_debian_packages(["chromium"])
    binary = shutil.which("chromium")
    if not ok or binary is None:
        pytest.skip(f"no headless Chromium: {reason}")
    b = Browser(binary, tmp_path_factory.mktemp("chromium") / "profile")
    yield b
    b.close()


TEXT = "Array.from(document.querySelectorAll('table')).map(t => t.innerText).join('\\n')"
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
IMAGES = "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0) && document.images.length"
SORT = """(function(){ const t = document.querySelector('table.sortable'), th = Array.from(t.tHead.rows[0].cells);
  const i = th.findIndex(h => h.textContent === 'Mean'); th[i].click();
  const up = Array.from(t.tBodies[0].rows).map(r => Number(r.cells[i].dataset.sort)); th[i].click();
  return [up, Array.from(t.tBodies[0].rows).map(r => Number(r.cells[i].dataset.sort))]; })()"""


def test_pages_in_chromium(site, browser, tmp_path_factory):
    out = site[0]
    shots = tmp_path_factory.mktemp("screenshots")
    for page in ("index.html", "task-pose.html", "analysis.html"):
        browser.open((out / page).as_uri())
        assert browser.errors() == [], (page, browser.errors())
        assert browser.eval(FITS), f"{page} scrolls sideways at 1280x800"
        assert browser.eval(IMAGES), f"{page}: an image did not load"
        browser.screenshot(shots / page.replace(".html", ".png"))
        assert (shots / page.replace(".html", ".png")).read_bytes()[:4] == b"\x89PNG"
    print(f"screenshots (1280x800): {shots}")
    browser.open((out / "index.html").as_uri())
    tables = browser.eval(TEXT)
    for value in ("0.76", "0.7383", "+0.02167", "0.305", "0.335", "85.5", "87.5", "98.13", "0.485"):
        assert value in tables, value
    browser.open((out / "task-pose.html").as_uri())
    up, down = browser.eval(SORT)
    assert up == sorted(up) and down == sorted(up, reverse=True) and len(up) == 3
    assert "1 deviating (base_lr)" in browser.eval(TEXT)
