"""Segmentation's evaluation as an mmengine loop the config chooses (`test_cfg=dict(type='MultiScaleFlipTestLoop')`):
mmseg's single-scale test, then the same model under the config's `tta_pipeline` (scales 0.5-1.75, each with and
without a horizontal flip; softmax scores averaged by mmseg's SegTTAModel), its numbers suffixed `_msflip`."""
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import LOOPS
from mmengine.runner import Runner, TestLoop
from mmseg.registry import MODELS

from bench.run.distributed import unwrap
from bench.run.progress import Phase


@LOOPS.register_module()
class MultiScaleFlipTestLoop(TestLoop):
    """TestLoop + a multi-scale-and-flip pass over the same split (see the module docstring)."""

    def run(self) -> dict:
        metrics = super().run()
        cfg = self.runner.cfg
        loader_cfg = cfg.test_dataloader.copy()
        loader_cfg.dataset = dict(cfg.test_dataloader.dataset, pipeline=cfg.tta_pipeline)
        loader = Runner.build_dataloader(loader_cfg, seed=cfg.get("randomness", {}).get("seed"))
        tta = MODELS.build(dict(type="SegTTAModel", module=unwrap(self.runner.model))).eval()
        evaluator = Evaluator(dict(type="IoUMetric", iou_metrics=["mIoU"]))
        evaluator.dataset_meta = loader.dataset.metainfo
        shown = Phase("evaluate (multi-scale + flip)", len(loader))
        with torch.no_grad():
            for i, batch in enumerate(loader):
                evaluator.process(tta.test_step(batch), batch)
                shown.update(i + 1)
        shown.close()
        tta_metrics = evaluator.evaluate(len(loader.dataset))
        return {**metrics, **{f"{k}_msflip": v for k, v in tta_metrics.items()}}
