"""`bench doctor --device D`: the compiled mmcv ops the task configs use, run on D (CPU here), and the one-line
problems when a kernel is missing or mmcv was built without CUDA ops."""
import importlib
from pathlib import Path

import pytest

from bench.cli import main


def _types(node, out):
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            out.add(node["type"])
        for value in node.values():
            _types(value, out)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _types(value, out)
    return out


def test_the_op_list_covers_every_compiled_op_in_the_configs():
    import mmcv.ops
    from mmengine.config import Config

    from backbones.core.paths import CONFIG_ROOT
    from bench.doctor import OP_CHECKS

    compiled = {name for name in dir(mmcv.ops) if not name.startswith("_")} - {"get_compiling_cuda_version",
                                                                              "get_compiler_version"}
    used = set()
    for path in sorted(CONFIG_ROOT.glob("*/*.py")):
        if path.name.endswith(".recipe.py"):
            continue
        cfg = Config.fromfile(str(path))
        _types(cfg.get("model", {}).to_dict() if cfg.get("model") else {}, used)
        base = cfg.get("bench", {}).get("model_base")
        if base:  # detection's heads come from mmdet's own configs
            package, _, rel = base.partition("::")
            root = Path(importlib.import_module(package).__file__).parent / ".mim" / "configs"
            _types(Config.fromfile(str(root / rel)).model.to_dict(), used)
    assert used & compiled, "the detection heads use nms and RoIAlign: the scan found none"
    assert used & compiled <= {name.split(" ")[0] for name in OP_CHECKS}, used & compiled


def test_doctor_runs_the_ops_on_cpu(capsys):
    assert main(["doctor", "--device", "cpu"]) == 0, capsys.readouterr().out
    assert "mmcv ops     ok on cpu (nms, RoIAlign, RoIAlign (mask head))" in capsys.readouterr().out


def test_doctor_cuda_without_a_gpu_says_so(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["doctor", "--device", "cuda"]) == 1
    assert "problem: --device cuda, but torch sees no CUDA device; run on a GPU machine or use --device cpu" \
        in capsys.readouterr().out


def test_cpu_only_mmcv_on_a_gpu_machine_names_the_rebuild(monkeypatch):
    import mmcv.ops
    import torch

    from bench.doctor import check_ops

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(mmcv.ops, "get_compiling_cuda_version", lambda: "not available")
    (problem,) = check_ops("cuda").values()
    assert problem.startswith("mmcv was built without CUDA ops") and "TRANSFER_BENCH_MMCV_BUILD=cuda ./setup.sh" \
        in problem and "\n" not in problem


@pytest.mark.parametrize("op", ["nms", "roi_align"])
def test_a_missing_kernel_is_one_line(op, monkeypatch):
    import mmcv.ops

    from bench.doctor import check_ops

    def missing(*a, **k):
        raise RuntimeError(f"{op}_impl: implementation for device cuda:0 not found.\nmore trace")

    monkeypatch.setattr(mmcv.ops, op, missing)
    problems = {name: p for name, p in check_ops("cpu").items() if p}
    assert problems and all("implementation for device cuda:0 not found.);" in p and "\n" not in p
                            for p in problems.values())
    assert set(problems) == ({"nms"} if op == "nms" else {"RoIAlign", "RoIAlign (mask head)"})
