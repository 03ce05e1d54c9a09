"""Tracking metrics against the reference implementations: GOT-10k's and OTB's curves against the got10k
toolkit on toy sequences, LaSOT's against numbers the official MATLAB toolkit printed under Octave, normalised
precision by hand."""
import numpy as np
import pytest

from bench.tasks.tracking.datasets import read_got10k
from bench.tasks.tracking.metrics import got10k_metrics, ope_curves, ope_metrics


def _noisy(seqs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in seqs:
        p = s.boxes + rng.normal(0, 4, s.boxes.shape)
        p[::7, 0] += 200  # some boxes leave the image: the toolkit clips them
        out.append(p)
    return out


def test_got10k_metrics_equal_toolkit(toy_got10k, tmp_path, monkeypatch):
    pytest.importorskip("got10k")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from got10k.experiments import ExperimentGOT10k

    seqs = read_got10k(toy_got10k, "val")
    preds = _noisy(seqs, 0)
    for s, p in zip(seqs, preds):
        d = tmp_path / "results" / "GOT-10k" / "mine" / s.name  # the toolkit's <result_dir>/GOT-10k/<tracker>
        d.mkdir(parents=True)
        np.savetxt(d / f"{s.name}_001.txt", p, fmt="%.3f", delimiter=",")
        np.savetxt(d / f"{s.name}_time.txt", np.full(len(p), 0.01), fmt="%.8f")
    exp = ExperimentGOT10k(str(toy_got10k), subset="val", result_dir=str(tmp_path / "results"),
                           report_dir=str(tmp_path / "reports"))
    ref = exp.report(["mine"])["mine"]["overall"]
    ours = got10k_metrics([np.loadtxt(tmp_path / "results" / "GOT-10k" / "mine" / s.name / f"{s.name}_001.txt", delimiter=",")
                           for s in seqs], [s.boxes for s in seqs], [s.cover for s in seqs],
                          [s.resolution for s in seqs])
    assert ours["AO"] == pytest.approx(100 * ref["ao"], abs=1e-9)
    assert ours["SR50"] == pytest.approx(100 * ref["sr"], abs=1e-9)
    ious = np.array(ref["succ_curve"])  # the toolkit's curve at threshold 0.75 is SR@0.75
    assert ours["SR75"] == pytest.approx(100 * ious[75], abs=1e-9)


def test_ope_metrics_equal_toolkit(toy_got10k):
    pytest.importorskip("got10k")
    from got10k.experiments import ExperimentOTB
    from got10k.utils.metrics import center_error, rect_iou

    seqs = read_got10k(toy_got10k, "val")
    preds = _noisy(seqs, 1)
    exp = ExperimentOTB.__new__(ExperimentOTB)  # only its curve code: no OTB download
    exp.nbins_iou, exp.nbins_ce = 21, 51
    succ, prec = [], []
    for s, p in zip(seqs, preds):
        boxes = p.copy()
        boxes[0] = s.boxes[0]
        curves = exp._calc_curves(rect_iou(boxes, s.boxes), center_error(boxes, s.boxes))
        succ.append(curves[0])
        prec.append(curves[1])
    ours = ope_metrics(preds, [s.boxes for s in seqs])
    assert ours["success_auc"] == pytest.approx(100 * np.mean(np.mean(succ, 0)), abs=1e-9)
    assert ours["precision"] == pytest.approx(100 * np.mean(prec, 0)[20], abs=1e-9)


def test_normalised_precision_by_hand():
    gt = np.array([[0, 0, 10, 20], [0, 0, 10, 20], [0, 0, 10, 20]], float)
    pred = np.array([[50, 50, 10, 20], [1, 0, 10, 20], [0, 8, 10, 20]], float)  # first box -> ground truth
    _, _, norm = ope_curves(pred, gt)
    # normalised centre errors: 0, 0.1, 0.4 -> share <= t over t = 0:0.01:0.5
    thresholds = np.linspace(0, 0.5, 51)
    expected = np.mean([(np.array([0, 0.1, 0.4]) <= t + 1e-12).mean() for t in thresholds])
    assert norm.mean() == pytest.approx(expected, abs=1e-9)



def _lasot_fixture():
    """Six toy LaSOT sequences and predictions: absent frames, a NaN and a negative-width result (carried over),
    ground truth with x = 0 (not all positive: -1 for the frame), a tracker lost from the second frame."""
    rng = np.random.default_rng(7)
    seqs = []
    for k in range(6):
        n = 30 + 5 * k
        gt = np.concatenate([np.cumsum(rng.normal(0, 3, (n, 2)), 0) + 60,
                             np.abs(rng.normal(30, 5, (n, 2))) + 5], 1).round(1)
        absent = (rng.random(n) < 0.1).astype(int)
        absent[0] = 0
        if k == 1:
            gt[3:6, 0] = 0
        pred = gt + rng.normal(0, 4 + 6 * k, gt.shape)
        pred[:, 2:] = np.abs(pred[:, 2:])
        if k == 2:
            pred[5], pred[8, 2] = np.nan, -3
        if k == 5:
            pred[1:] += 500
        seqs.append((f"toy-{k + 1}", gt, absent, pred))
    return seqs


def test_lasot_metrics_equal_official_toolkit(tmp_path):
    """The official MATLAB toolkit (HengLan/LaSOT_Evaluation_Toolkit @ 95bf38a: utils/eval_tracker.m with
    calc_seq_err_robust.m and calc_rect_int.m, the averaging of plot_draw_save.m), run under GNU Octave 7.3.0 on
    these files (written as below: %.6f, comma-separated; absent flags one per line), printed success AUC
    0.243563755469, precision 0.451337181337 and normalised precision 0.176588504089."""
    from bench.tasks.tracking.metrics import lasot_metrics

    preds, gts, absents = [], [], []
    for name, gt, absent, pred in _lasot_fixture():
        for kind, array, fmt in (("gt", gt, "%.6f"), ("pred", pred, "%.6f"), ("absent", absent, "%d")):
            np.savetxt(tmp_path / f"{name}.{kind}", array, fmt=fmt, delimiter=",")
        preds.append(np.loadtxt(tmp_path / f"{name}.pred", delimiter=","))
        gts.append(np.loadtxt(tmp_path / f"{name}.gt", delimiter=","))
        absents.append(np.loadtxt(tmp_path / f"{name}.absent"))
    ours = lasot_metrics(preds, gts, absents)
    assert ours["success_auc"] == pytest.approx(24.3563755469, abs=1e-6)
    assert ours["precision"] == pytest.approx(45.1337181337, abs=1e-6)
    assert ours["norm_precision"] == pytest.approx(17.6588504089, abs=1e-6)  # the value at 0.20, not the mean

