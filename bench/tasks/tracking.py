"""Single-object tracking on mmengine (OpenMMLab 2.x has no SOT): a SwinTrack-style Siamese transformer tracker over
any registry backbone, trained on template/search pairs of the train split, evaluated by one-pass evaluation with
predictions in each benchmark's submission format. GOT-10k val and LaSOT test are scored here; GOT-10k test and
TrackingNet test keep their ground truth on the evaluation servers, so those runs write the submission archive."""
import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from backbones.errors import BenchError
from backbones.registry import get_spec
from bench.distributed import unwrap
from bench.tasks.base import DatasetInfo, Task, apply_schedule

# dataset name -> (reader, evaluation split, whether its ground truth is public)
EVAL = {"got10k": ("got10k", "val", True), "got10k-test": ("got10k", "test", False),
        "lasot": ("lasot", "test", True), "trackingnet": ("trackingnet", "test", False)}
SERVERS = {"got10k": "http://got-10k.aitestunion.com/submit_instructions",
           "trackingnet": "https://eval.ai/web/challenges/challenge-page/1805 (TrackingNet)"}


class TrackingTask(Task):
    name = "tracking"
    version = "1.0"
    datasets = {
        "got10k": DatasetInfo("got10k", ("train/list.txt", "val/list.txt"), (), "GOT-10k: train on train, score "
                              "AO / SR on val (public ground truth)", "val", ("motion",)),
        "got10k-test": DatasetInfo("got10k-test", ("train/list.txt", "test/list.txt"), (),
                                   "GOT-10k: train on train, submission archive for the test server", "test",
                                   ("motion",)),
        "lasot": DatasetInfo("lasot", (), (), "LaSOT: train on the 1120 training sequences, score the official 280 "
                             "test sequences (success AUC, precision, normalised precision)", "test", ("motion",)),
        "trackingnet": DatasetInfo("trackingnet", (), (), "TrackingNet: train on TRAIN_k, submission archive for "
                                   "the TEST server", "test", ("motion",)),
    }
    protocols = ("swintrack", "swintrack_tiny", "toy")
    default_protocol = "swintrack"
    primary_metric = "AO"
    higher_is_better = True
    fixed_input = "template 112, search 224"
    metrics = ("AO", "SR50", "SR75", "success_auc", "precision", "norm_precision", "fps")

    def primary_for(self, dataset):
        return "AO" if dataset.startswith("got10k") else "success_auc"

    def _sequences(self, data_root: Path, dataset: str, split: str):
        from bench.datasets.tracking import READERS

        self.dataset(dataset)
        if not Path(data_root).is_dir():
            raise BenchError(f"data root {data_root} does not exist; pass --data-root DIR, or make toy data: "
                             f"bench data toy --task tracking --dataset {dataset} --out DIR")
        memo = self.__dict__.setdefault("_memo", {})
        reader = EVAL[dataset][0]
        if (data_root, reader, split) not in memo:
            memo[(data_root, reader, split)] = READERS[reader](Path(data_root), split)
        return memo[(data_root, reader, split)]

    def check_data(self, data_root, dataset):
        for split in ("train", EVAL[dataset][1]):
            if not self._sequences(data_root, dataset, split):
                raise BenchError(f"{data_root}: the {dataset} {split} split lists no sequences")

    def fingerprint(self, data_root, dataset):
        """sha256 over the sequence names, frame counts and boxes of the train and evaluation splits."""
        h = hashlib.sha256(dataset.encode())
        for split in ("train", EVAL[dataset][1]):
            for seq in self._sequences(data_root, dataset, split):
                h.update(f"{split}/{seq.name}/{len(seq.frames)}".encode())
                h.update(np.ascontiguousarray(seq.boxes).tobytes())
        return h.hexdigest()

    def build_config(self, run, data_root, work_dir):
        from mmengine.config import Config

        import bench.hooks  # noqa: F401
        import bench.models.tracker  # noqa: F401
        from backbones.build import probe_features

        protocol = self.protocol(run.protocol)
        cfg = Config.fromfile(self.config_path(run.dataset, protocol))
        spec = get_spec(run.backbone)
        b = cfg.bench
        strides = [s for _, s in probe_features(spec, (b.search_size, b.search_size))]
        level = max((i for i, s in enumerate(strides) if s == 16), default=len(strides) - 1)  # ViT: last block
        cfg.model.backbone.update(name=spec.name, weights=run.weights, img_size=(b.search_size, b.search_size),
                                  out_indices=(level,), allow_missing=run.allow_missing,
                                  dynamic_img_size=spec.arch in ("swin", "swinv2"))
        b.dataset = run.dataset
        cfg.model.update(template_size=b.template_size, search_size=b.search_size, mean=spec.mean, std=spec.std)
        cfg.train_dataloader.dataset.update(
            dataset=EVAL[run.dataset][0], data_root=str(data_root), template_size=b.template_size,
            search_size=b.search_size, template_factor=b.template_factor, search_factor=b.search_factor)
        apply_schedule(cfg, run)
        return cfg

    def evaluate(self, runner, work_dir):
        import torch

        from bench.models.tracker import OnlineTracker
        from bench.tracking_metrics import seq_metrics, static_baseline

        cfg = runner.cfg
        name = cfg.bench.dataset
        dataset, split, public = EVAL[name]
        seqs = self._sequences(Path(cfg.train_dataloader.dataset.data_root), name, split)
        model = unwrap(runner.model)
        device = next(model.parameters()).device
        b = cfg.bench
        tracker = OnlineTracker(model, b.template_size, b.search_size, b.template_factor, b.search_factor,
                                b.window_influence, device)
        preds, times = [], []
        with torch.no_grad():
            for seq in seqs:
                boxes, secs = tracker.track(seq.frames, seq.boxes[0])
                preds.append(boxes)
                times.append(secs)
        archive = write_submission(work_dir / "predictions", name, dataset, seqs, preds, times)
        fps = float(np.mean([1 / t for ts in times for t in ts[1:] if t > 0]))
        self._extra = {"eval_sequences": len(seqs), "submission": str(archive), "server_only": not public}
        if not public:
            print(f"{name}: ground truth is held by the evaluation server; upload {archive} at {SERVERS[dataset]}")
            return {"fps": fps}, archive
        metrics = seq_metrics(dataset, preds, seqs)
        self._extra["static_baseline"] = seq_metrics(dataset, static_baseline([s.boxes for s in seqs]), seqs)
        if dataset == "lasot" and len(seqs) < 280:
            self._extra["note"] = f"{len(seqs)} of the 280 official LaSOT test sequences were present"
        return {**metrics, "fps": fps}, archive

    def row_extra(self):
        return getattr(self, "_extra", {})

    def write_toy(self, out, dataset, n_train, n_val, seed):
        from bench.toy.tracking import write_toy_tracking

        return write_toy_tracking(out, EVAL[dataset][0], n_train=n_train, n_val=n_val, seed=seed)


def _write_text(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_submission(pred_root: Path, name: str, benchmark: str, seqs, preds, times) -> Path:
    """The benchmark's result files under `<pred_root>/<name>/` and the same tree zipped as `<name>.zip` (atomic):
    GOT-10k `<seq>/<seq>_001.txt` + `<seq>/<seq>_time.txt`; LaSOT / TrackingNet `<seq>.txt` (x,y,w,h per line)."""
    folder = pred_root / name
    for seq, boxes, secs in zip(seqs, preds, times):
        lines = "".join(",".join(f"{v:.3f}" for v in b) + "\n" for b in boxes)
        if benchmark == "got10k":
            _write_text(folder / seq.name / f"{seq.name}_001.txt", lines)
            _write_text(folder / seq.name / f"{seq.name}_time.txt", "".join(f"{t:.8f}\n" for t in secs))
        else:
            _write_text(folder / f"{seq.name}.txt", lines)
    archive = pred_root / f"{name}.zip"
    fd, tmp = tempfile.mkstemp(dir=pred_root, prefix=".tmp-", suffix=".zip")
    os.close(fd)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(p for p in folder.rglob("*.txt")):
            zf.write(f, f.relative_to(folder).as_posix())
    os.replace(tmp, archive)
    return archive
