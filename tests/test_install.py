"""The OpenMMLab stack imports together, its registries build, and mmcv's compiled ops run on CPU."""
import json
import subprocess
import sys
from pathlib import Path

import torch

BENCH = str(Path(sys.executable).with_name("bench"))


def test_openmmlab_stack_imports_together():
    import mmcv
    import mmdet.models  # noqa: F401
    import mmengine
    import mmpose.models  # noqa: F401
    import mmseg.models  # noqa: F401
    from mmdet.registry import MODELS as DET
    from mmpose.registry import MODELS as POSE
    from mmseg.registry import MODELS as SEG

    assert mmcv.__version__ == "2.1.0" and mmengine.__version__.startswith("0.10")
    assert "MaskRCNN" in DET.module_dict and "TopdownPoseEstimator" in POSE.module_dict
    assert "DepthEstimator" in SEG.module_dict
    from mmpose.codecs import UDPHeatmap  # noqa: F401
    from mmpose.evaluation import CocoMetric  # noqa: F401
    from mmseg.evaluation import DepthMetric  # noqa: F401


def test_mmcv_nms_on_cpu():
    from mmcv.ops import nms

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=torch.float32)
    dets, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
    assert keep.tolist() == [0, 2] and dets.shape == (2, 5)


def test_transfer_backbone_in_every_mm_registry():
    import backbones.mm_bridge  # noqa: F401
    from mmdet.registry import MODELS as DET
    from mmpose.registry import MODELS as POSE
    from mmseg.registry import MODELS as SEG

    for registry in (DET, POSE, SEG):
        module = registry.build(dict(type="TransferBackbone", name="timm:vit_tiny_patch16_224", img_size=(32, 32)))
        assert module(torch.randn(1, 3, 32, 32))[0].shape == (1, 192, 2, 2)


def test_cli_help_and_version():
    out = subprocess.run([BENCH, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("run", "sweep", "leaderboard", "backbones", "tasks", "data", "results", "doctor", "analyze",
                    "pretrain", "demo"):
        assert command in out
    assert "transfer-bench" in subprocess.run([BENCH, "--version"], capture_output=True, text=True).stdout


def test_doctor_json():
    proc = subprocess.run([BENCH, "doctor", "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["mmcv_ops"] is True and report["problems"] == []
    assert set(report["versions"]) >= {"torch", "mmcv", "mmdet", "mmpose", "mmseg", "timm", "numpy"}
    assert "weights" in report["cache"]
