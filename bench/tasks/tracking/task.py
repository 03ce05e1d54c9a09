"""Single-object tracking on mmengine (OpenMMLab 2.x has no SOT): SwinTrack (bench.tasks.tracking.model) over any
registry backbone, trained on template/search pairs of the train split (bench.tasks.tracking.pairs), evaluated by
one-pass evaluation with predictions in each benchmark's submission format (bench.tasks.tracking.evaluation).
GOT-10k val and LaSOT test are scored here; GOT-10k test and TrackingNet test keep their ground truth on the
evaluation servers, so those runs write the submission archive. Datasets: bench.tasks.tracking.datasets."""
from pathlib import Path

from bench.tasks.base import MetricDef, Task, TaskResult, register_task
from bench.tasks.shared.schedules import apply_schedule


@register_task("tracking")
class TrackingTask(Task):
    """GOT-10k AO / SR (its toolkit) or OTB-style success / precision (LaSOT, TrackingNet)."""

    name = "tracking"
    version = "2.0"
    protocols = ("swintrack", "swintrack_tiny", "toy")
    default_protocol = "swintrack"
    primary_metric = "AO"
    fixed_input = "template 112, search 224"
    metrics = (MetricDef("AO", description="GOT-10k average overlap"), MetricDef("SR50"), MetricDef("SR75"),
               MetricDef("success_auc", description="area under the success curve"),
               MetricDef("precision", description="share of frames with centre error <= 20 px"),
               MetricDef("norm_precision", description="normalised precision"),
               MetricDef("fps", True, "frames/s"))

    def prepare(self, spec, data, data_root):
        from dataclasses import replace

        from backbones.core.errors import BenchError

        if self.dataset(spec.dataset).options.get("train_only"):
            raise BenchError(f"tracking/{spec.dataset} is a training source for --train-mix, not a benchmark: pass "
                             f"--dataset got10k, lasot, ... and --train-mix {spec.dataset}=DIR")
        mix = []
        for name, root in sorted(spec.train_mix.items()):
            source = self.dataset(name).read(Path(root).expanduser().resolve())
            mix.append((name, str(Path(root).expanduser().resolve()), source))
        return replace(data, mix=tuple(mix))

    def deviation_reasons(self, spec):
        missing = {"coco", "got10k", "lasot", "trackingnet"} - {spec.dataset.split("-")[0], *spec.train_mix}
        if spec.dataset.startswith("got10k") or not missing:
            return {}
        return {"training_data": f"SwinTrack's {spec.dataset} model also trains on {', '.join(sorted(missing))}: pass "
                                 "--train-mix " + " ".join(f"{m}=DIR" for m in sorted(missing))}

    def recipe_values(self, cfg, spec):
        return {"evaluation": self.evaluation(cfg, spec),
                "training_data": "+".join(sorted({spec.dataset.split("-")[0], *spec.train_mix}))}

    def build_config(self, ctx):
        from mmengine.config import Config

        import bench.tasks.tracking.evaluation  # noqa: F401
        import bench.tasks.tracking.model  # noqa: F401
        from backbones.build import probe_features

        spec, bb_spec = ctx.spec, ctx.backbone
        options = self.dataset(spec.dataset).options
        cfg = Config.fromfile(self.config_path(spec.dataset, spec.protocol))
        b = cfg.bench
        strides = [s for _, s in probe_features(bb_spec, (b.search_size, b.search_size))]
        level = max((i for i, s in enumerate(strides) if s == 16), default=len(strides) - 1)  # ViT: last block
        cfg.model.backbone.update(name=bb_spec.name, weights=ctx.weights, img_size=(b.search_size, b.search_size),
                                  out_indices=(level,), allow_missing=spec.allow_missing,
                                  dynamic_img_size=bb_spec.arch in ("swin", "swinv2"))
        cfg.model.update(template_size=b.template_size, search_size=b.search_size, mean=bb_spec.mean,
                         std=bb_spec.std)
        sizes = dict(template_size=b.template_size, search_size=b.search_size, template_factor=b.template_factor,
                     search_factor=b.search_factor)
        cfg.train_dataloader.dataset.update(dataset=spec.dataset, data_root=str(ctx.data_root), **sizes,
                                            sources=[dict(dataset=n, data_root=r) for n, r, _ in ctx.data.mix])
        cfg.test_dataloader.dataset.update(dataset=spec.dataset, data_root=str(ctx.data_root))
        cfg.test_cfg.update(window_influence=b.window_influence, **sizes)
        cfg.test_evaluator.update(benchmark=options["benchmark"], public=options["public"], name=spec.dataset,
                                  outfile_dir=str(ctx.work_dir / "predictions"))
        apply_schedule(cfg, spec)
        return cfg

    def evaluation(self, cfg, spec):
        return f"one-pass, Hanning window {cfg.test_cfg.window_influence:g}"

    def evaluate(self, runner, resolved):
        metrics = self.test_metrics(runner)
        summary = runner.test_loop.evaluator.metrics[0].summary
        data = resolved.data
        trained_on = {resolved.spec.dataset: {"root": str(resolved.data_root), "sequences": len(data.train)},
                      **{n: {"root": r, "sequences": len(s.train)} for n, r, s in data.mix}}
        return TaskResult(metrics, Path(summary["submission"]), {**summary, "train_data": trained_on},
                          summary["eval_sequences"])
