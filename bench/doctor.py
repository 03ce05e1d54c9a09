"""`bench doctor`: versions, compiled mmcv ops, CUDA, cache directories."""
import importlib
import json
import platform

from backbones.core import paths

PACKAGES = ["torch", "torchvision", "mmengine", "mmcv", "mmdet", "mmpose", "mmseg", "timm", "pandas", "numpy"]


def _check_mmcv_ops():
    import torch
    from mmcv.ops import nms

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=torch.float32)
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
    if keep.tolist() != [0, 2]:
        raise RuntimeError(f"mmcv.ops.nms returned {keep.tolist()}, expected [0, 2]")


def collect() -> dict:
    """Everything doctor reports, plus a list of problems (empty when healthy)."""
    report = {"python": platform.python_version(), "versions": {}, "problems": []}
    for name in PACKAGES:
        try:
            report["versions"][name] = importlib.import_module(name).__version__
        except Exception as exc:  # any import failure is a problem to report, not a crash
            report["versions"][name] = None
            report["problems"].append(f"{name} does not import ({type(exc).__name__}: {exc}); run ./setup.sh")
    try:
        _check_mmcv_ops()
        report["mmcv_ops"] = True
    except Exception as exc:
        report["mmcv_ops"] = False
        report["problems"].append(f"mmcv compiled ops fail ({type(exc).__name__}: {exc}); rebuild with ./setup.sh")
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
    report = collect()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"python       {report['python']}")
        for name, ver in report["versions"].items():
            print(f"{name:<12} {ver or 'MISSING'}")
        print(f"mmcv ops     {'ok' if report['mmcv_ops'] else 'BROKEN'}")
        print(f"cuda         {report['cuda']} ({report['device']})")
        lock = report["lock"]
        print(f"lock         {lock['path']} (sha256 {str(lock['sha256'])[:12]}): "
              + (f"{len(lock['differences'])} difference(s)" if lock["differences"] else "installed packages match"))
        for key, value in report["cache"].items():
            print(f"{key + ' dir':<12} {value}")
    for problem in report["problems"]:
        print(f"problem: {problem}")
    return 1 if report["problems"] else 0
