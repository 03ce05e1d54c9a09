"""The CUDA fast path's config rewrite (checked on the config: no GPU here) and `--compile` of the backbone through
the CLI: same losses and the same cell as the eager run (eager backend by default, inductor in the slow test)."""
import json

import pytest
import torch

from bench.cli import main


def test_cuda_fast_path_rewrites_the_config():
    from mmengine.config import Config

    from backbones.registry import get_spec
    from bench.run.fast_path import cuda_fast_path

    cfg = Config(dict(bench=dict(), optim_wrapper=dict(optimizer=dict(type="AdamW", lr=1e-3)),
                      train_dataloader=dict(num_workers=4), test_dataloader=dict(num_workers=0)))
    cuda_fast_path(cfg, get_spec("timm:resnet18"))
    assert cfg.optim_wrapper.type == "AmpOptimWrapper" and cfg.optim_wrapper.dtype == "bfloat16"
    assert cfg.optim_wrapper.optimizer.fused is True
    assert cfg.train_dataloader.pin_memory and cfg.train_dataloader.persistent_workers
    assert not cfg.test_dataloader.persistent_workers  # no workers, nothing to keep
    assert cfg.bench.channels_last is True
    cuda_fast_path(cfg, get_spec("simmim-swin-b"))
    assert cfg.bench.channels_last is False  # transformers keep the default layout


@pytest.fixture(scope="module")
def tiny_cub(tmp_path_factory):
    from bench.tasks.classification.toy_fgvc import write_toy_classification

    root = tmp_path_factory.mktemp("cmp") / "CUB_200_2011"
    write_toy_classification(root, "cub", n_train=2, n_test=1, seed=0)
    return root


def _losses(tiny_cub, tmp_path, extra):
    results = tmp_path / "r"
    assert main(["run", "--backbone", "timm:vit_tiny_patch16_224", "--task", "classification", "--dataset", "cub",
                 "--protocol", "toy", "--data-root", str(tiny_cub), "--img-size", "32", "32", "--batch-size", "4",
                 "--epochs", "1", "--device", "cpu", "--results", str(results), "--work-dir", str(tmp_path / "w"),
                 "--cfg-options", "train_dataloader.dataset.augment=None", *extra]) == 0
    (path,) = (results / "classification").glob("*.json")
    return json.loads(path.read_text())


def _compare(tiny_cub, tmp_path):
    eager = _losses(tiny_cub, tmp_path / "eager", [])
    compiled = _losses(tiny_cub, tmp_path / "compiled", ["--compile"])
    assert compiled["extra"]["compiled"] is True and eager["extra"]["compiled"] is False
    assert compiled["cell_key"] == eager["cell_key"]
    assert compiled["extra"]["losses"]["loss_cls"] == pytest.approx(eager["extra"]["losses"]["loss_cls"], rel=1e-4)


def test_compile_backbone_eager_backend(tiny_cub, tmp_path, monkeypatch, capsys):
    calls = []
    original = torch.nn.Module.compile

    def compile_eager(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, backend="eager")

    monkeypatch.setattr(torch.nn.Module, "compile", compile_eager)
    _compare(tiny_cub, tmp_path)
    assert calls == ["TransferBackbone"]


@pytest.mark.slow  # inductor compiles C++ kernels: ~1.5 min on 2 cores
def test_compile_backbone_inductor(tiny_cub, tmp_path, capsys):
    _compare(tiny_cub, tmp_path)
