"""`bench demo`: the whole MIM-vs-supervised story offline, through the same commands a user types. It writes toy
data, SimMIM-pre-trains a tiny Swin on the unlabelled training images, trains the same architecture supervised on
coarse toy labels, runs pose, depth and fine-grained classification for the SimMIM, supervised and random-init
variants through `bench run` and the results store, and prints the leaderboard with MIM - supervised deltas.
Presets fix sizes, not wall-clock budgets, so results are reproducible."""
import os
import time
from pathlib import Path

import torch

from backbones.core.errors import BenchError
from backbones.core import paths

# sizes per preset: toy set sizes, epochs per stage, fine-tuning seeds (two or more give the report its 95 % CIs)
PRESETS = {
    "test": dict(pose=(24, 8), depth=(12, 4), cls=(6, 2), sup=(6, 2), mim_epochs=2, sup_epochs=2, seeds=(0,),
        epochs=dict(pose=1, depth=1, classification=1)),
    "quick": dict(pose=(160, 40), depth=(48, 12), cls=(30, 10), sup=(40, 0), mim_epochs=30, sup_epochs=15,
                  seeds=(0, 1), epochs=dict(pose=8, depth=12, classification=12)),
    "full": dict(pose=(480, 80), depth=(144, 24), cls=(80, 20), sup=(120, 0), mim_epochs=100, sup_epochs=40,
                 seeds=(0, 1, 2), epochs=dict(pose=30, depth=40, classification=40)),
}
VARIANTS = ("demo-simmim", "demo-supervised", "demo-random")
CELLS = (("pose", "coco"), ("depth", "nyu"), ("classification", "cub"))


class Progress:
    """Numbered step lines (`[i/n elapsed] what`) for the demo's output."""

    def __init__(self, total):
        self.total, self.step, self.start = total, 0, time.time()

    def __call__(self, text):
        self.step += 1
        print(f"[{self.step}/{self.total} {time.time() - self.start:5.0f}s] {text}", flush=True)


def _bench(*argv):
    from bench.cli import main

    code = main([str(a) for a in argv])
    if code:
        raise BenchError(f"demo step failed: bench {' '.join(str(a) for a in argv)} (exit {code})")


def export_backbone(checkpoint: Path, out: Path) -> Path:
    """The backbone of a fine-tuned `bench run` checkpoint as a plain timm-keyed state dict (tensors only)."""
    from backbones.checkpoint import read_checkpoint

    state = read_checkpoint(checkpoint)["state_dict"]
    prefix = "backbone.backbone.model."
    backbone = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not backbone:
        raise BenchError(f"{checkpoint} holds no registry backbone ({prefix}*)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    torch.save({"model": backbone}, tmp)
    tmp.replace(out)
    return out


def _link_images(sources, dest: Path):
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for src in sources:
        for p in sorted(Path(src).rglob("*")):
            if p.suffix.lower() in (".jpg", ".png"):
                link = dest / f"{n:06d}{p.suffix.lower()}"
                if not link.exists():
                    link.symlink_to(p.resolve())
                n += 1
    return n


def demo_cmd(args) -> int:
    """`bench demo`: toy data, weights, runs, leaderboard and report, end to end; 0 on success."""
    if args.preset not in PRESETS:
        raise BenchError(f"unknown preset {args.preset!r}; choose one of {', '.join(PRESETS)}")
    if args.device == "cpu" or not torch.cuda.is_available():
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    p = PRESETS[args.preset]
    out = Path(args.out or paths.cache_root() / "demo" / args.preset).resolve()
    data, weights, results = out / "data", out / "weights", out / "results"
    quiet = ["--cfg-options", "log_level=WARNING"]
    progress = Progress(6 + len(VARIANTS) * len(CELLS) * len(p["seeds"]))
    print(f"bench demo ({args.preset}): everything under {out}")

    progress("toy data in the official layouts (COCO keypoints, NYU BTS, CUB-200, FGVC-Aircraft)")
    from bench.tasks.classification.toy_fgvc import write_toy_classification
    from bench.tasks.depth.toy import write_toy_depth
    from bench.tasks.pose.toy import write_toy_pose

    if not (data / ".done").exists():
        write_toy_pose(data / "coco", "coco", *p["pose"], seed=0)
        write_toy_depth(data / "nyu", "nyu", *p["depth"], seed=0)
        write_toy_classification(data / "cub", "cub", *p["cls"], seed=0)
        write_toy_classification(data / "aircraft", "aircraft", p["sup"][0], max(1, p["sup"][1]), seed=7)
        (data / ".done").write_text("ok\n")

    progress("SimMIM pre-training of a tiny Swin on the unlabelled training images")
    n = _link_images([data / "coco" / "train2017", data / "nyu" / "sync", data / "aircraft" / "data" / "images"],
                     data / "mim_images")
    mim = weights / "demo-simmim.pth"
    if not mim.exists():
        _bench("pretrain", "simmim", "--arch", "demo-simmim", "--images", data / "mim_images", "--img-size", 64,
               "--mask-patch", 16, "--epochs", p["mim_epochs"], "--batch-size", 32, "--workers", 0, "--out", mim,
               "--preview", out / "simmim_preview.png", "--device", "cpu")
    print(f"    {n} images; preview: {out / 'simmim_preview.png'}")

    progress("supervised counterpart: the same tiny Swin trained on coarse toy labels (aircraft families)")
    sup = weights / "demo-supervised.pth"
    if not sup.exists():
        sup_work = out / "work" / "supervised"
        _bench("run", "--backbone", "demo-supervised", "--task", "classification", "--dataset", "aircraft-family",
               "--protocol", "toy", "--data-root", data / "aircraft", "--epochs", p["sup_epochs"], "--device",
               "cpu", "--results", out / "pretrain-results", "--work-dir", sup_work, *quiet)
        export_backbone(next(sup_work.glob("epoch_*.pth")), sup)

    progress("load audits of both checkpoints")
    for name, path in (("demo-simmim", mim), ("demo-supervised", sup)):
        _bench("backbones", "verify", name, "--weights", path)

    for task, dataset in CELLS:
        for variant in VARIANTS:
            for seed in p["seeds"]:
                progress(f"{task}/{dataset} with {variant}, seed {seed}")
                w = {"demo-simmim": ["--weights", mim], "demo-supervised": ["--weights", sup]}.get(variant, [])
                _bench("run", "--backbone", variant, "--task", task, "--dataset", dataset, "--protocol", "toy",
                       "--data-root", data / dataset, "--epochs", p["epochs"][task], "--device", "cpu",
                       "--seed", seed, "--results", results, *w, *quiet)

    progress("leaderboard (mean per cell; [Δ] = SimMIM - supervised)")
    _bench("leaderboard", "--results", results, "--format", "md")
    _bench("leaderboard", "--results", results, "--format", "csv", "--out", out / "leaderboard.csv")
    progress("report: attention analysis of the three variants, then the static site of the rows")
    index = report_step(out, results, {"demo-simmim": mim, "demo-supervised": sup})
    print(f"toy numbers from a tiny model: they show the pipeline, not the paper's effect sizes. "
          f"Rows: {results}")
    print(f"report (open it in a browser, no server needed): {index}")
    return 0


def report_step(out: Path, results: Path, weights: dict) -> Path:
    """The demo's last step: `bench analyze` of the variants (toy images) and `bench report` of the rows into
    out/report; prints and returns the path of its index.html."""
    analysis, report = out / "analysis", out / "report"
    _bench("analyze", "--backbone", ",".join(VARIANTS), "--weights", ",".join(str(weights.get(v) or "")
                                                                               for v in VARIANTS),
           "--toy", "--n-images", 16, "--out", analysis)
    _bench("report", "--results", results, "--out", report, "--analysis", analysis)
    return report / "index.html"
