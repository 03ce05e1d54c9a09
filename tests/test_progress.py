"""What a run prints: a progress display per phase and the result by default; mmengine's log and library output
(pycocotools) only in the work dir, shown with --verbose."""
import io
import re

from bench.cli import main
from bench.run.progress import Phase, set_verbose
from cli_run import bench_run

TINY = "timm:vit_tiny_patch16_224"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_phase_into_a_pipe_prints_a_line_per_tenth(monkeypatch):
    monkeypatch.setenv("TRANSFER_BENCH_VERBOSE", "0")  # restored afterwards
    out = io.StringIO()
    phase = Phase("train", 50, unit="iterations", stream=out)
    for i in range(1, 51):
        phase.update(i, f"loss {1 / i:.3f}")
    phase.close("12.0 img/s")
    lines = out.getvalue().splitlines()
    assert len(lines) == 12, lines  # 0 %, 10 %, ..., 100 %, then the closing line
    assert lines[0].startswith("train:   2% 1/50 iterations  loss 1.000  [0:00]")
    assert lines[5].startswith("train:  50% 25/50 iterations  loss 0.040")
    assert re.fullmatch(r"train: done, 50 iterations, 12\.0 img/s in 0:00", lines[-1]), lines[-1]


def test_phase_on_a_terminal_rewrites_one_line(monkeypatch):
    monkeypatch.setenv("TRANSFER_BENCH_VERBOSE", "0")  # restored afterwards
    out = Terminal()
    phase = Phase("evaluate", 3, stream=out)
    for i in range(1, 4):
        phase.update(i)
    phase.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.startswith("\revaluate:")
    assert "\revaluate: done, 3 batches in 0:00" in text


def test_verbose_shows_no_progress(monkeypatch):
    monkeypatch.setenv("TRANSFER_BENCH_VERBOSE", "0")  # restored afterwards
    set_verbose(True)
    out = io.StringIO()
    phase = Phase("train", 5, stream=out)
    phase.update(5)
    phase.close()
    assert out.getvalue() == ""


def test_run_shows_progress_and_keeps_the_logs_in_the_work_dir(toy_pose_small, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRANSFER_BENCH_VERBOSE", "0")  # restored afterwards
    args = ["--backbone", TINY, "--task", "pose", "--dataset", "coco", "--protocol", "toy", "--data-root",
            str(toy_pose_small), "--epochs", "4", "--batch-size", "4"]
    row, out = bench_run(args, tmp_path / "results", capsys, tmp_path / "work")
    assert row["status"] == "ok"
    lines = out.splitlines()
    train = [line for line in lines if line.startswith("train:")]
    assert train and re.search(r"epoch 1/4  loss [\d.e-]+", train[0]) and "img/s" in train[-2], train
    assert train[-1].startswith("train: done,") and any(line.startswith("evaluate: done,") for line in lines)
    assert lines[-2].startswith("pose/coco toy timm:vit_tiny_patch16_224: AP = ")
    for noise in ("Config:", "Environment info", "Epoch(train)", "loading annotations", "Average Precision"):
        assert noise not in out, noise
    log = next((tmp_path / "work").glob("*/*.log")).read_text()
    assert "Config:" in log and "Epoch(train)" in log
    library = (tmp_path / "work" / "output.log").read_text()
    assert "Average Precision" in library and "loading annotations" in library

    code = main(["run", "--results", str(tmp_path / "results"), "--device", "cpu", "--work-dir",
                 str(tmp_path / "work2"), *args, "--force", "--verbose"])
    verbose = capsys.readouterr().out
    assert code == 0
    assert "Config:" in verbose and "Epoch(train)" in verbose and "Average Precision" in verbose
    assert not any(line.startswith("train:") for line in verbose.splitlines())
