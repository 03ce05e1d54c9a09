"""`bench doctor`: versions, the lock, the compiled mmcv ops the configs use (on --device), CUDA, cache dirs."""
import importlib
import json
import platform

from backbones.core import paths

PACKAGES = ["torch", "torchvision", "mmengine", "mmcv", "mmdet", "mmpose", "mmseg", "timm", "pandas", "numpy"]


# The compiled mmcv ops the task configs use, each as (config type name, a check on one device). Detection's
# Mask R-CNN / Cascade heads (open-mmlab/mmdetection configs/_base_/models/mask-rcnn_r50_fpn.py,
# cascade-mask-rcnn_r50_fpn.py): RPN and test-time `nms`; `RoIAlign` for the box head (7x7) and the mask head
# (14x14), sampling_ratio=0, aligned. Mask pasting is torch's grid_sample; no deformable or point-sample op is
# used (tests/test_doctor.py checks this list against the built configs).
def _nms(device):
    import torch
    from mmcv.ops import nms

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=torch.float32, device=device)
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7], device=device), iou_threshold=0.5)
    return keep.cpu().tolist() == [0, 2], f"returned {keep.cpu().tolist()}, expected [0, 2]"


def _roi_align(device, size):
    import torch
    from mmcv.ops import roi_align

    gen = torch.Generator().manual_seed(0)
    feats = torch.rand(2, 4, 16, 20, generator=gen)
    rois = torch.tensor([[0, 1.5, 2.0, 12.5, 9.0], [1, 0.0, 0.0, 19.0, 15.0]])
    want = roi_align(feats, rois, size, 1.0, 0, "avg", True)  # the CPU kernel is the reference
    got = roi_align(feats.to(device), rois.to(device), size, 1.0, 0, "avg", True).cpu()
    return torch.allclose(got, want, atol=1e-5), f"differs from the CPU kernel by {(got - want).abs().max():.3g}"


OP_CHECKS = {"nms": _nms, "RoIAlign": lambda device: _roi_align(device, (7, 7)),
             "RoIAlign (mask head)": lambda device: _roi_align(device, (14, 14))}


def check_ops(device: str = "cpu") -> dict:
    """Run every compiled op the configs use on `device`: {op: None if it works, else the one-line problem}."""
    import torch

    fix = "rebuild mmcv with CUDA ops: TRANSFER_BENCH_MMCV_BUILD=cuda ./setup.sh (see bench/mmcv_build.py)"
    cuda = device.startswith("cuda")
    if cuda:
        from mmcv.ops import get_compiling_cuda_version

        if not torch.cuda.is_available():
            return {"cuda": f"--device {device}, but torch sees no CUDA device; run on a GPU machine or use "
                            "--device cpu"}
        if get_compiling_cuda_version() == "not available":
            return {"mmcv": f"mmcv was built without CUDA ops, so {', '.join(OP_CHECKS)} cannot run on {device}: "
                            + fix}
    out = {}
    for name, check in OP_CHECKS.items():
        try:
            ok, why = check(device)
            out[name] = None if ok else f"mmcv {name} on {device} {why}; " + (fix if cuda else "rebuild with ./setup.sh")
        except Exception as exc:  # a missing kernel raises RuntimeError ("... not found"), others too
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            out[name] = f"mmcv {name} fails on {device} ({first}); " + (fix if cuda else "rebuild with ./setup.sh")
    return out


def collect(device: str = "cpu") -> dict:
    """Everything doctor reports, plus a list of problems (empty when healthy); the ops are run on `device`."""
    report = {"python": platform.python_version(), "versions": {}, "problems": []}
    for name in PACKAGES:
        try:
            report["versions"][name] = importlib.import_module(name).__version__
        except Exception as exc:  # any import failure is a problem to report, not a crash
            report["versions"][name] = None
            report["problems"].append(f"{name} does not import ({type(exc).__name__}: {exc}); run ./setup.sh")
    try:
        ops = check_ops(device)
    except Exception as exc:  # mmcv.ops itself does not import
        ops = {"mmcv.ops": f"mmcv compiled ops do not load ({type(exc).__name__}: {exc}); rebuild with ./setup.sh"}
    report["ops_device"], report["ops"] = device, ops
    report["mmcv_ops"] = not any(ops.values())
    report["problems"] += [problem for problem in ops.values() if problem]
    try:
        import torch

        report["cuda"] = torch.cuda.is_available()
        report["device"] = torch.cuda.get_device_name(0) if report["cuda"] else "cpu"
    except Exception:
        report["cuda"], report["device"] = False, None
    from bench.lockfile import LOCK_PATH, drift, lock_sha256

    report["lock"] = {"path": str(LOCK_PATH), "sha256": lock_sha256(), "differences": drift()}
    report["problems"] += [f"lock: {d}" for d in report["lock"]["differences"]]
    report["cache"] = {"weights": str(paths.weights_cache()), "data": str(paths.data_cache()),
                       "results": str(paths.results_dir())}
    return report


def main(args) -> int:
    """`bench doctor`: print (or --json) the environment report; 1 when a check fails."""
    report = collect(getattr(args, "device", None) or "cpu")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"python       {report['python']}")
        for name, ver in report["versions"].items():
            print(f"{name:<12} {ver or 'MISSING'}")
        print(f"mmcv ops     {'ok' if report['mmcv_ops'] else 'BROKEN'} on {report['ops_device']} "
              f"({', '.join(OP_CHECKS)})")
        print(f"cuda         {report['cuda']} ({report['device']})")
        lock = report["lock"]
        print(f"lock         {lock['path']} (sha256 {str(lock['sha256'])[:12]}): "
              + (f"{len(lock['differences'])} difference(s)" if lock["differences"] else "installed packages match"))
        for key, value in report["cache"].items():
            print(f"{key + ' dir':<12} {value}")
    for problem in report["problems"]:
        print(f"problem: {problem}")
    return 1 if report["problems"] else 0
