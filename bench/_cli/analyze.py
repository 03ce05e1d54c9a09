"""`bench analyze`: attention distance, head diversity and layer CKA for one or more backbones, as JSON, CSV and
PNG plots in the seed paper's style (dots per head against layer with the layer mean as a line; CKA heatmaps)."""
import json

from pathlib import Path

import numpy as np

from backbones.core.errors import BenchError
from backbones.core.io import write_text

METRICS = ("attention-distance", "head-diversity", "cka")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")



def register(sub):
    """Add `bench analyze`."""
    p = sub.add_parser("analyze", help="attention distance, head diversity and layer CKA of backbones",
                       description="Example: bench analyze --backbone simmim-vit-b,sup-vit-b --weights a.pth,b.pth "
                                   "--images DIR --n-images 64 --out analysis/")
    p.add_argument("--backbone", required=True, help="one name, or several comma-separated to overlay")
    p.add_argument("--weights", help="checkpoint per backbone, comma-separated (empty entry = random init)")
    p.add_argument("--images", help="folder of images (the first --n-images, sorted)")
    p.add_argument("--toy", action="store_true", help="use generated toy images instead of --images")
    p.add_argument("--n-images", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--img-size", type=int, nargs=2, metavar=("H", "W"), help="default: the backbone's native size")
    p.add_argument("--metrics", default=",".join(METRICS))
    p.add_argument("--cls-token", choices=("drop", "renormalise"), default="drop",
                   help="attention distance of a ViT's patch queries: drop the class token's rows and columns as they "
                        "are (default, as the reference implementation of ViT's mean attention distance) or "
                        "renormalise each patch row over the patches (bench.analysis module docstring)")
    p.add_argument("--cka", choices=("minibatch", "tokens"), default="minibatch",
                   help="minibatch linear CKA over images (default; Nguyen et al. 2021, as Raghu et al. 2021 whose "
                        "heatmaps the paper follows; needs --batch-size >= 4) or exact linear CKA with every token "
                        "as a sample")
    p.add_argument("--out", default="analysis", help="output folder (JSON, CSV, PNG)")
    p.set_defaults(handler=analyze_cmd)


def _images(args, size, n, seed=0):
    """uint8 RGB arrays [H, W, 3]: the first n images of --images DIR (sorted), or toy images."""
    import cv2

    if args.toy:
        from bench.tasks.classification.toy_fgvc import toy_image

        rng = np.random.default_rng(seed)
        return [cv2.cvtColor(cv2.resize(toy_image(rng, i % 6, 96), size[::-1]), cv2.COLOR_BGR2RGB)
                for i in range(n)]
    root = Path(args.images)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if root.is_dir() else []
    if not files:
        raise BenchError(f"--images {root}: no images found; pass a folder of images or use --toy")
    out = []
    for p in files[:n]:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is None:
            raise BenchError(f"cannot read image {p}")
        out.append(cv2.cvtColor(cv2.resize(img, size[::-1], interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    return out


def _batches(images, spec, batch_size):
    import torch

    mean = torch.tensor(spec.mean).view(1, 3, 1, 1)
    std = torch.tensor(spec.std).view(1, 3, 1, 1)
    for i in range(0, len(images), batch_size):
        x = torch.from_numpy(np.stack(images[i:i + batch_size])).permute(0, 3, 1, 2).float() / 255
        yield (x - mean) / std


def _dots_plot(results, key, mean_key, ylabel, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for c, (name, r) in enumerate(results.items()):
        per_head = r[key]
        colour = f"C{c}"
        for layer, heads in enumerate(per_head):
            ax.scatter([layer + 1] * len(heads), heads, s=8, color=colour, alpha=0.5)
        means = r[mean_key] if mean_key else [float(np.mean(h)) for h in per_head]
        ax.plot(range(1, len(means) + 1), means, "-o", color=colour, label=name, markersize=5)
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cka_plot(name, matrix, estimator, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    im = ax.imshow(np.array(matrix), vmin=0, vmax=1, cmap="magma", origin="lower")
    ax.set_title(f"linear CKA ({estimator}): {name}", fontsize=9)
    ax.set_xlabel("layer")
    ax.set_ylabel("layer")
    fig.colorbar(im)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def analyze_cmd(args) -> int:
    """Analyze each backbone's attention and CKA on the images; write analysis.json, analysis.csv and PNG plots."""
    from backbones import build_backbone, get_spec
    from bench.analysis import analyze

    names = [n for n in args.backbone.split(",") if n]
    weights = args.weights.split(",") if args.weights else [None] * len(names)
    if len(weights) != len(names):
        raise BenchError(f"--weights has {len(weights)} entries for {len(names)} backbones; give one per backbone "
                         "(empty for random init, e.g. --weights a.pth,)")
    metrics = [m for m in args.metrics.split(",") if m]
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise BenchError(f"unknown metric(s) {', '.join(bad)}; choose from {', '.join(METRICS)}")
    if not args.toy and not args.images:
        raise BenchError("pass --images DIR (a folder of images) or --toy")
    if "cka" in metrics and args.cka == "minibatch" and min(args.batch_size, args.n_images) < 4:
        raise BenchError(f"--cka minibatch needs at least 4 images per batch (--batch-size {args.batch_size}, "
                         f"--n-images {args.n_images}); pass 4 or more, or --cka tokens")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, w in zip(names, weights):
        spec = get_spec(name)
        size = tuple(args.img_size) if args.img_size else tuple(spec.img_size)
        backbone = build_backbone(name, weights=w or None, img_size=size)
        images = _images(args, size, args.n_images)
        try:
            results[name] = analyze(backbone.model, _batches(images, spec, args.batch_size), metrics,
                                    cls_token=args.cls_token, cka_estimator=args.cka)
        except ValueError as exc:
            raise BenchError(f"{name}: {exc}; analysis supports ViT / BEiT / Swin / SwinV2 backbones") from None
        results[name].update(weights=w or None, img_size=list(size))
        print(f"{name}: {results[name]['n_images']} images, {results[name]['n_layers']} layers")
    write_text(out / "analysis.json", json.dumps(results, indent=1))
    rows = ["backbone,metric,layer,head,value"]
    for name, r in results.items():
        for metric, key in (("attention_distance", "attention_distance"), ("head_diversity", "head_diversity")):
            for layer, heads in enumerate(r.get(key, [])):
                rows += [f"{name},{metric},{layer + 1},{h},{v:.6g}" for h, v in enumerate(heads)]
        for i, row in enumerate(r.get("cka", [])):
            rows += [f"{name},cka,{i + 1},{j + 1},{v:.6g}" for j, v in enumerate(row)]
    write_text(out / "analysis.csv", "\n".join(rows) + "\n")
    if "attention-distance" in metrics:
        _dots_plot(results, "attention_distance", None, "mean attention distance (px)", out / "attention_distance.png")
    if "head-diversity" in metrics:
        _dots_plot(results, "head_diversity", "head_diversity_layer", "KL divergence between heads",
                   out / "head_diversity.png")
    if "cka" in metrics:
        for name, r in results.items():
            _cka_plot(name, r["cka"], r["cka_estimator"], out / f"cka_{name.replace(':', '_')}.png")
    print(f"wrote {out}/analysis.json, analysis.csv and plots")
    return 0
