"""`--gpu-pipeline` for pose: the device-side warp + UDP heatmaps equal mmpose's CPU TopdownAffine + GenerateTarget
on the same images and the same random draws (run here on CPU tensors), and `bench run --gpu-pipeline` trains."""
import copy
import json

import numpy as np
import pytest
import torch

from bench.cli import main


CODECS = {"udp": dict(type="UDPHeatmap", input_size=(96, 128), heatmap_size=(24, 32), sigma=1.5),
          "msra": dict(type="MSRAHeatmap", input_size=(96, 128), heatmap_size=(24, 32), sigma=2.0)}


def _cpu_and_packed(toy_pose_small, kind, n=6, seed=0):
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, TRANSFORMS

    import bench.tasks.pose.gpu_pipeline  # noqa: F401

    init_default_scope("mmpose")
    ds = DATASETS.build(dict(type="CocoDataset", data_root=str(toy_pose_small), data_mode="topdown",
                             ann_file="annotations/person_keypoints_train2017.json",
                             data_prefix=dict(img="train2017/"), pipeline=[]))
    codec = CODECS[kind]
    shared = [TRANSFORMS.build(t) for t in (dict(type="LoadImage"), dict(type="GetBBoxCenterScale"),
                                            dict(type="RandomFlip", direction="horizontal"),
                                            dict(type="RandomBBoxTransform", rotate_factor=40.0, rotate_prob=1.0))]
    cpu = [TRANSFORMS.build(t) for t in (dict(type="TopdownAffine", input_size=codec["input_size"],
                                              use_udp=kind == "udp"),
                                         dict(type="GenerateTarget", encoder=codec))]
    device_side = [TRANSFORMS.build(t) for t in (dict(type="LoadImage"), dict(type="GetBBoxCenterScale"),
                                                 dict(type="DeferredImageFlip", direction="horizontal"),
                                                 dict(type="RandomBBoxTransform", rotate_factor=40.0, rotate_prob=1.0),
                                                 dict(type="PackForDeviceTargets"))]
    np.random.seed(seed)
    refs, packed = [], []
    for i in range(n):  # the same random draws on both paths
        state = np.random.get_state()
        results = copy.deepcopy(ds.get_data_info(i % len(ds)))
        for t in shared + cpu:
            results = t(results)
        refs.append(results)
        np.random.set_state(state)
        item = copy.deepcopy(ds.get_data_info(i % len(ds)))
        for t in device_side:
            item = t(item)
        packed.append(item)
    return codec, refs, packed


@pytest.mark.parametrize("kind", ["udp", "msra"])
def test_device_targets_equal_mmpose_cpu_pipeline(kind, toy_pose_small):
    from bench.tasks.pose.gpu_pipeline import DeviceTopdownPreprocessor

    codec, refs, packed = _cpu_and_packed(toy_pose_small, kind)
    pre = DeviceTopdownPreprocessor(input_size=codec["input_size"], heatmap_size=codec["heatmap_size"],
                                    sigma=codec["sigma"], udp=kind == "udp", mean=[0, 0, 0], std=[1, 1, 1])
    warped, heat, weights, kpts = pre.targets([p["inputs"] for p in packed], [p["data_samples"] for p in packed])
    for i, ref in enumerate(refs):
        assert np.allclose(kpts[i].numpy(), ref["transformed_keypoints"][0, :, :2], atol=1e-3)
        assert np.allclose(heat[i].numpy(), ref["heatmaps"], atol=1e-4), np.abs(heat[i].numpy() - ref["heatmaps"]).max()
        assert np.array_equal(weights[i].numpy(), ref["keypoint_weights"][0])
        diff = np.abs(warped[i].permute(1, 2, 0).numpy() - ref["img"].astype(np.float32))
        # cv2 warps in fixed point (1/32 px) and rounds to uint8; grid_sample interpolates in float
        assert diff.mean() < 1.0 and np.percentile(diff, 99) < 8, (diff.mean(), np.percentile(diff, 99))
    assert any(r["flip"] for r in refs) and all(abs(r["bbox_rotation"][0]) > 0 for r in refs)  # both paths used


@pytest.mark.parametrize("udp", [True, False])
def test_heatmap_window_arithmetic_near_borders(udp):
    """Keypoints near and beyond the edges: mmpose's truncating casts and 3-sigma window, pasted by hand."""
    from mmpose.codecs.utils import generate_gaussian_heatmaps, generate_udp_gaussian_heatmaps

    from bench.tasks.pose.gpu_pipeline import gaussian_heatmaps

    kpts = np.array([[[0.3, 1.7], [2.2, 30.9], [-3.0, 5.0], [23.6, -0.4], [-9.0, 4.0], [11.5, 12.5]]])
    vis = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 0.0]])
    reference = generate_udp_gaussian_heatmaps if udp else generate_gaussian_heatmaps
    ref_heat, ref_w = reference((24, 32), kpts, vis, 1.5)
    heat, w = gaussian_heatmaps(torch.tensor(kpts), torch.tensor(vis), (24, 32), 1.5, udp)
    assert np.allclose(heat[0].numpy(), ref_heat, atol=1e-6)
    assert np.array_equal(w.numpy(), ref_w)


def test_gpu_pipeline_through_the_cli(toy_pose_small, tmp_path, capsys):
    results = tmp_path / "r"
    assert main(["run", "--backbone", "timm:vit_tiny_patch16_224", "--task", "pose", "--protocol", "toy",
                 "--data-root", str(toy_pose_small), "--epochs", "1", "--device", "cpu", "--gpu-pipeline",
                 "--results", str(results), "--work-dir", str(tmp_path / "w")]) == 0
    capsys.readouterr()
    (path,) = (results / "pose").glob("*.json")
    row = json.loads(path.read_text())
    assert row["status"] == "ok" and row["config"]["model"]["data_preprocessor"]["type"] == "DeviceTopdownPreprocessor"
    steps = [t["type"] for t in row["config"]["train_dataloader"]["dataset"]["pipeline"]]
    assert steps[-1] == "PackForDeviceTargets" and "TopdownAffine" not in steps and "GenerateTarget" not in steps
    assert "DeferredImageFlip" in steps and "RandomFlip" not in steps
    assert all(np.isfinite(v) for v in row["extra"]["losses"]["loss_kpt"])
