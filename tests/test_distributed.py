"""`bench run --gpus N`: N processes over gloo on the CPU give the same per-iteration losses as one process with the
same global batch (one cell, one row); per-process batch, DDP wrapper and SyncBN settings; sweep passes --gpus."""
import json

import pytest

from bench.cli import main


@pytest.fixture(scope="module")
def tiny_cub(tmp_path_factory):
    from bench.tasks.classification.toy_fgvc import write_toy_classification

    root = tmp_path_factory.mktemp("ddp") / "CUB_200_2011"
    write_toy_classification(root, "cub", n_train=2, n_test=1, seed=0)  # 12 training images, 6 test images
    return root


def _row(results):
    (path,) = (results / "classification").glob("*.json")
    return json.loads(path.read_text())


def test_two_gloo_processes_match_one_process(tiny_cub, tmp_path, capsys):
    # deterministic inputs (no random crops), LayerNorm-only model: any difference would come from the gradient
    # averaging, the data split or the step itself
    args = ["run", "--backbone", "timm:vit_tiny_patch16_224", "--task", "classification", "--dataset", "cub",
            "--protocol", "toy", "--data-root", str(tiny_cub), "--img-size", "32", "32", "--batch-size", "4",
            "--epochs", "1", "--device", "cpu", "--cfg-options", "train_dataloader.dataset.augment=None"]
    rows = {}
    for n in (1, 2):
        results = tmp_path / f"r{n}"
        assert main(args + ["--gpus", str(n), "--results", str(results), "--work-dir", str(tmp_path / f"w{n}")]) == 0
        rows[n] = _row(results)
    capsys.readouterr()
    one, two = rows[1], rows[2]
    assert one["cell_key"] == two["cell_key"]  # same recipe, same cell
    assert two["extra"]["processes"] == 2 and two["extra"]["train_batch_size"] == one["extra"]["train_batch_size"] == 4
    assert two["config"]["train_dataloader"]["batch_size"] == 2 and two["config"]["launcher"] == "pytorch"
    losses1, losses2 = one["extra"]["losses"]["loss_cls"], two["extra"]["losses"]["loss_cls"]
    assert len(losses1) == len(losses2) == 3
    assert losses2 == pytest.approx(losses1, rel=1e-4)  # iterations 2 and 3 follow one and two optimizer steps
    assert two["metrics"] == pytest.approx(one["metrics"])


def test_configure_per_process_batch_and_wrapper():
    from mmengine.config import Config

    from backbones.core.errors import BenchError
    from bench.run.distributed import configure

    cfg = Config(dict(train_dataloader=dict(batch_size=32)))
    configure(cfg, "cuda", 8)
    assert cfg.train_dataloader.batch_size == 4 and cfg.sync_bn == "torch" and cfg.launcher == "pytorch"
    assert "device_ids" not in cfg.model_wrapper_cfg  # mmengine passes LOCAL_RANK on GPUs
    cpu = Config(dict(train_dataloader=dict(batch_size=6), model_wrapper_cfg=dict(find_unused_parameters=True)))
    configure(cpu, "cpu", 2)
    assert cpu.model_wrapper_cfg == dict(find_unused_parameters=True, type="MMDistributedDataParallel",
                                         broadcast_buffers=False, device_ids=None)
    assert "sync_bn" not in cpu  # torch's SyncBatchNorm runs on CUDA only
    with pytest.raises(BenchError, match="global batch 6 does not split over --gpus 4"):
        configure(Config(dict(train_dataloader=dict(batch_size=6))), "cpu", 4)


def test_bad_gpus_and_sweep_passes_them(tiny_cub, tmp_path, capsys):
    base = ["run", "--backbone", "timm:vit_tiny_patch16_224", "--task", "classification", "--dataset", "cub",
            "--protocol", "toy", "--data-root", str(tiny_cub), "--device", "cpu", "--results", str(tmp_path)]
    assert main(base + ["--gpus", "0"]) == 2
    assert "--gpus 0: pass 1 or more" in capsys.readouterr().err
    assert main(["sweep", "--backbones", "demo-random", "--cells", "fgvc:cub:toy", "--dry-run", "--gpus", "2",
                 "--no-weights"]) == 0
    assert "--gpus 2" in capsys.readouterr().out
