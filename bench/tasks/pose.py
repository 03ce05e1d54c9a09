"""Top-down heatmap pose estimation on mmpose 1.3.2 (TopdownPoseEstimator, its codecs, HeatmapHead, transforms and
CocoMetric), with the backbone from the registry through `TransferBackbone`."""
import json
import math
from pathlib import Path

from backbones.build import probe_features
from backbones.errors import BenchError
from backbones.registry import get_spec
from bench.tasks.base import DatasetInfo, Task, apply_schedule

METRIC_NAMES = {"AP": "AP", "AP .5": "AP50", "AP .75": "AP75", "AP (M)": "APm", "AP (L)": "APl", "AR": "AR",
                "AR .5": "AR50", "AR .75": "AR75", "AR (M)": "ARm", "AR (L)": "ARl", "AP(E)": "APe",
                "AP(M)": "APmed", "AP(H)": "APh"}


class PoseTask(Task):
    name = "pose"
    version = "1.0"
    datasets = {
        "coco": DatasetInfo(
            "coco", required=("annotations/person_keypoints_train2017.json",
                              "annotations/person_keypoints_val2017.json", "train2017", "val2017"),
            fingerprint_files=("annotations/person_keypoints_train2017.json",
                               "annotations/person_keypoints_val2017.json"),
            description="COCO 2017 keypoints, 17 joints; evaluated on val2017", eval_split="val2017"),
        "crowdpose": DatasetInfo(
            "crowdpose", required=("json/crowdpose_trainval.json", "json/crowdpose_test.json", "images"),
            fingerprint_files=("json/crowdpose_trainval.json", "json/crowdpose_test.json"),
            description="CrowdPose, 14 joints; trained on trainval, evaluated on test", eval_split="test"),
    }
    protocols = ("vitpose", "pct", "toy")
    default_protocol = "vitpose"
    primary_metric = "AP"
    fixed_input = "vitpose 256x192, pct 256x256, toy 128x96"
    higher_is_better = True
    metrics = ("AP", "AP50", "AP75", "APm", "APl", "AR")

    def check_data(self, data_root, dataset):
        super().check_data(data_root, dataset)
        for rel in self.dataset(dataset).fingerprint_files:
            try:
                ann = json.loads((data_root / rel).read_text())
                ann["images"], ann["annotations"], ann["categories"][0]["keypoints"]
            except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
                raise BenchError(f"{data_root / rel} is not a COCO-keypoints annotation file ({exc!r} missing or "
                                 "invalid)") from None
            if ann["images"]:
                folder = "val2017" if "val" in rel else "train2017"
                folder = "images" if dataset == "crowdpose" else folder
                first = data_root / folder / ann["images"][0]["file_name"]
                if not first.exists():
                    raise BenchError(f"image {first} listed in {rel} is missing; is --data-root the folder that "
                                     f"holds {folder}/?")

    def _keypoint_count(self, data_root, dataset):
        rel = self.dataset(dataset).fingerprint_files[-1]
        return len(json.loads((data_root / rel).read_text())["categories"][0]["keypoints"])

    def build_config(self, run, data_root, work_dir):
        from mmengine.config import Config

        import backbones.mm_bridge  # noqa: F401  (registers TransferBackbone)
        import bench.hooks  # noqa: F401
        import bench.optim  # noqa: F401

        protocol = self.protocol(run.protocol)
        cfg = Config.fromfile(self.config_path(run.dataset, protocol))
        spec = get_spec(run.backbone)
        bb = cfg.model.backbone
        img_size = tuple(bb.img_size)
        window = cfg.bench.window if spec.arch in ("swin", "swinv2") else None
        levels = probe_features(spec, img_size, window)
        channels, stride = levels[cfg.bench.out_index]
        n_deconv = math.log2(stride / 4) if stride >= 4 else -1
        if n_deconv < 0 or n_deconv != int(n_deconv):
            raise BenchError(f"backbone {spec.name}'s last feature map has stride {stride}: the pose head upsamples "
                             "by powers of 2 to stride 4, so it needs stride 4, 8, 16 or 32")
        n_deconv = int(n_deconv)
        bb.update(name=spec.name, weights=run.weights, window_size=window, allow_missing=run.allow_missing,
                  out_indices=(cfg.bench.out_index,), drop_path_rate=cfg.bench.drop_path_rate)
        cfg.model.head.in_channels = channels
        cfg.model.head.deconv_out_channels = (cfg.bench.deconv_channels,) * n_deconv
        cfg.model.head.deconv_kernel_sizes = (cfg.bench.deconv_kernel,) * n_deconv
        mean = [255 * m for m in spec.mean]
        std = [255 * s for s in spec.std]
        cfg.model.data_preprocessor.update(mean=mean, std=std)
        n_kpt = self._keypoint_count(data_root, run.dataset)
        if n_kpt != cfg.model.head.out_channels:
            other = "crowdpose" if n_kpt == 14 else "coco"
            raise BenchError(f"annotations in {data_root} have {n_kpt} keypoints but the {run.dataset} config "
                             f"expects {cfg.model.head.out_channels}; use --dataset {other}")
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset.data_root = str(data_root)
        if run.bbox_file:
            if not Path(run.bbox_file).is_file():
                raise BenchError(f"--bbox-file {run.bbox_file} does not exist; pass a COCO detection results json")
            cfg.test_dataloader.dataset.bbox_file = str(Path(run.bbox_file).resolve())
        if run.gpu_pipeline:
            device_targets(cfg)
        cfg.test_evaluator.ann_file = str(data_root / cfg.test_dataloader.dataset.ann_file)
        cfg.test_evaluator.outfile_prefix = str(work_dir / "predictions" / "keypoints")
        apply_schedule(cfg, run)
        return cfg

    def evaluate(self, runner, work_dir):
        metrics = {METRIC_NAMES.get(k, k): v for k, v in self.test_metrics(runner).items()}
        pred = work_dir / "predictions" / "keypoints.keypoints.json"
        return metrics, pred if pred.exists() else None

    def write_toy(self, out, dataset, n_train, n_val, seed):
        from bench.toy.pose import write_toy_pose

        write_toy_pose(out, dataset=dataset, n_train=n_train, n_val=n_val, seed=seed)
        return list(self.dataset(dataset).required)


def device_targets(cfg) -> None:
    """Switch the training pipeline to `bench.gpu_pose`: mmpose's transforms up to TopdownAffine on the CPU (the flip
    leaving the image alone), the mirror, warp and heatmaps on the device (DeviceTopdownPreprocessor)."""
    import bench.gpu_pose  # noqa: F401

    pipeline = cfg.train_dataloader.dataset.pipeline
    steps = [t["type"] for t in pipeline]
    target = next((t for t in pipeline if t["type"] == "GenerateTarget"), None)
    encoder = (target or {}).get("encoder", {})
    udp = encoder.get("type") == "UDPHeatmap"
    if "TopdownAffine" not in steps or encoder.get("type") not in ("UDPHeatmap", "MSRAHeatmap") or \
            encoder.get("heatmap_type", "gaussian") != "gaussian" or encoder.get("unbiased") or \
            bool(pipeline[steps.index("TopdownAffine")].get("use_udp")) != udp:
        raise BenchError("--gpu-pipeline covers TopdownAffine + GenerateTarget with the Gaussian UDPHeatmap "
                         "(use_udp=True) or MSRAHeatmap codec; this protocol's pipeline differs: run without "
                         "--gpu-pipeline")
    flips = [t for t in pipeline if t["type"] == "RandomFlip"]
    if any(t.get("direction", "horizontal") not in ("horizontal", ["horizontal"]) for t in flips):
        raise BenchError("--gpu-pipeline mirrors images horizontally only; this protocol flips otherwise")
    cpu = [dict(t, type="DeferredImageFlip") if t["type"] == "RandomFlip" else t
           for t in pipeline[:steps.index("TopdownAffine")]]
    cfg.train_dataloader.dataset.pipeline = cpu + [dict(type="PackForDeviceTargets")]
    pre = cfg.model.data_preprocessor
    cfg.model.data_preprocessor = dict(pre, type="DeviceTopdownPreprocessor", input_size=encoder["input_size"],
                                       heatmap_size=encoder["heatmap_size"], sigma=encoder["sigma"], udp=udp)
