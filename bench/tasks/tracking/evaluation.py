"""Tracking's evaluation as mmengine pieces the config chooses: `TrackingSequences` (the evaluation split's
sequences, one per item), `OnePassEvalLoop` (test_cfg: one-pass evaluation, a first-frame template and the
SwinTrack online tracker over every frame) and `TrackingMetric` (test_evaluator: the benchmark's result files
zipped for its server, and where its ground truth is public the official toolkit's numbers, with the
'box stays where it started' baseline beside them)."""
import zipfile
from pathlib import Path

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.registry import DATASETS, FUNCTIONS, LOOPS, METRICS
from mmengine.runner import TestLoop

from backbones.core.io import atomic_path
from bench.run.distributed import unwrap

SERVERS = {"got10k": "http://got-10k.aitestunion.com/submit_instructions",
           "trackingnet": "https://eval.ai/web/challenges/challenge-page/1805 (TrackingNet)"}


@DATASETS.register_module()
class TrackingSequences(BaseDataset):
    """The evaluation sequences of a registered tracking dataset, one `Sequence` per item."""

    def __init__(self, dataset, data_root, **kwargs):
        self.dataset_name = dataset
        super().__init__(data_root=data_root, serialize_data=False, **kwargs)

    def load_data_list(self):
        from bench.tasks.base import read_dataset

        return [{"sequence": s} for s in read_dataset("tracking", self.dataset_name, self.data_root).eval]


@FUNCTIONS.register_module(name="sequence_collate")
def sequence_collate(batch):
    """A batch of whole sequences stays a list."""
    return [item["sequence"] for item in batch]


@LOOPS.register_module()
class OnePassEvalLoop(TestLoop):
    """test_cfg=dict(type='OnePassEvalLoop', template_size, search_size, template_factor, search_factor,
    window_influence): tracks every evaluation sequence with the trained model and feeds the evaluator."""

    def __init__(self, runner, dataloader, evaluator, template_size=112, search_size=224, template_factor=2.0,
                 search_factor=4.0, window_influence=0.49, fp16=False):
        super().__init__(runner, dataloader, evaluator, fp16)
        self.tracker_args = (template_size, search_size, template_factor, search_factor, window_influence)

    def run(self) -> dict:
        from bench.tasks.tracking.model import OnlineTracker

        self.runner.call_hook("before_test")
        self.runner.call_hook("before_test_epoch")
        model = unwrap(self.runner.model)
        tracker = OnlineTracker(model, *self.tracker_args, device=next(model.parameters()).device)
        with torch.no_grad():
            for idx, batch in enumerate(self.dataloader):
                outputs = []
                for seq in batch:
                    boxes, secs = tracker.track(seq.frames, seq.boxes[0])
                    outputs.append({"sequence": seq, "boxes": boxes, "seconds": secs})
                self.evaluator.process(outputs, batch)
                self.runner.call_hook("after_test_iter", batch_idx=idx, data_batch=batch, outputs=outputs)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook("after_test_epoch", metrics=metrics)
        self.runner.call_hook("after_test")
        return metrics


def write_submission(folder: Path, benchmark: str, results) -> Path:
    """The benchmark's result files under `folder` and the same tree zipped as `<folder>.zip` (atomic): GOT-10k
    `<seq>/<seq>_001.txt` + `<seq>/<seq>_time.txt`; LaSOT / TrackingNet `<seq>.txt` (x,y,w,h per line)."""
    for r in results:
        name = r["sequence"].name
        lines = "".join(",".join(f"{v:.3f}" for v in b) + "\n" for b in r["boxes"])
        files = {f"{name}/{name}_001.txt": lines, f"{name}/{name}_time.txt": "".join(
            f"{t:.8f}\n" for t in r["seconds"])} if benchmark == "got10k" else {f"{name}.txt": lines}
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
    archive = folder.with_suffix(".zip")
    with atomic_path(archive, suffix=".zip") as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*.txt")):
            zf.write(f, f.relative_to(folder).as_posix())
    return archive


@METRICS.register_module()
class TrackingMetric(BaseMetric):
    """test_evaluator=dict(type='TrackingMetric', benchmark, public, name, outfile_dir): see the module docstring.
    `summary` keeps what the row records beside the numbers (archive, sequence count, baseline, server)."""

    default_prefix = "tracking"

    def __init__(self, benchmark, public, name, outfile_dir, **kwargs):
        super().__init__(**kwargs)
        self.benchmark, self.public, self.name, self.outfile_dir = benchmark, public, name, Path(outfile_dir)
        self.summary = {}

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results) -> dict:
        from bench.run.progress import say
        from bench.tasks.tracking.metrics import seq_metrics, static_baseline

        results = sorted(results, key=lambda r: r["sequence"].name)
        archive = write_submission(self.outfile_dir / self.name, self.benchmark, results)
        times = [t for r in results for t in r["seconds"][1:] if t > 0]
        seqs = [r["sequence"] for r in results]
        self.summary = {"eval_sequences": len(seqs), "submission": str(archive), "server_only": not self.public}
        metrics = {"fps": float(np.mean([1 / t for t in times])) if times else 0.0}
        if not self.public:
            say(f"{self.name}: ground truth is held by the evaluation server; upload {archive} at "
                f"{SERVERS[self.benchmark]}")
            return metrics
        metrics.update(seq_metrics(self.benchmark, [r["boxes"] for r in results], seqs))
        self.summary["static_baseline"] = seq_metrics(self.benchmark, static_baseline([s.boxes for s in seqs]),
                                                      seqs)
        if self.benchmark == "lasot" and len(seqs) < 280:
            self.summary["note"] = f"{len(seqs)} of the 280 official LaSOT test sequences were present"
        return metrics
