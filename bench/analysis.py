"""The seed paper's representation analysis (protocols.md §3) on any registry ViT / BEiT / Swin / SwinV2:
averaged attention distance per head, attention-head diversity (KL between heads), linear CKA between layers.

The paper's own analysis code is not public, so each choice follows the code of the works it cites, and the other
reading is an option:
- class token (`cls_token`): `drop` (default) keeps the patch-to-patch block of each attention map as it is: the
  class token's rows and columns are removed and the rows are not renormalised, so attention a patch pays to the
  class token counts as no distance. This is what the reference implementation of ViT's mean attention distance
  does (sayakpaul/probing-vits, `compute_mean_attention_dist`: `attention_weights[..., 1:, 1:]`, then
  sum(weights * distances) per query, mean over queries). `renormalise` rescales each patch row to sum to 1 (the
  distance given that a patch attends to patches). Head diversity always uses renormalised patch rows, since a KL
  divergence needs distributions.
- CKA (`cka`): `minibatch` (default) is the minibatch linear CKA of Nguyen, Raghu & Kornblith (ICLR'21, "Do wide
  and deep networks learn the same things?"), which Raghu et al. (NeurIPS'21, "Do vision transformers see like
  convolutional neural networks?", whose layer-by-layer heatmaps the paper's follow) use: an image is one sample,
  its features all its patch tokens (ViT, class token dropped) or its block output pooled to the model's coarsest
  grid (Swin), flattened; the unbiased HSIC estimator (Song et al., JMLR'12) is averaged over minibatches of
  images, CKA = mean HSIC(K, L) / sqrt(mean HSIC(K, K) * mean HSIC(L, L)). It needs at least 4 images per batch;
  a last batch with fewer is left out. `tokens` is Kornblith et al.'s (ICML'19) exact linear CKA with every token
  of every image as a sample (running moments).

Attention probabilities are captured from timm's own modules: fused attention is switched off for the analysis
(so the softmax is materialised) and a forward hook on each attention's `attn_drop` reads the probabilities.
Every map is reduced as soon as it is seen (running sums over queries, windows and images), and CKA keeps only
running first and second moments, so memory does not grow with the number of images."""
import math
from dataclasses import dataclass
from typing import Dict, List

import numpy as np
import torch
from torch import nn

from backbones.features import transformer_blocks

KL_EPS = 1e-8  # inside the logs of the head-diversity KL: log(p + eps) - log(q + eps)


@dataclass
class AttnSite:
    """One attention module: its layer index and the geometry of its query / key tokens."""

    layer: int
    module: nn.Module
    kind: str                 # "global" (ViT / BEiT) or "window" (Swin)
    grid: tuple = ()          # patch grid (global) or window size (window)
    prefix: int = 0           # class / register tokens in front (global)
    pixels_per_token: float = 16.0


def attention_sites(model: nn.Module) -> List[AttnSite]:
    """The attention modules of a timm ViT / BEiT / Swin / SwinV2 in layer order."""
    sites = []
    if hasattr(model, "blocks"):
        patch = model.patch_embed.patch_size[0]
        grid = tuple(model.patch_embed.grid_size)
        prefix = getattr(model, "num_prefix_tokens", 1)
        for i, blk in enumerate(model.blocks):
            sites.append(AttnSite(i, blk.attn, "global", grid, prefix, float(patch)))
    elif hasattr(model, "layers"):
        patch = model.patch_embed.patch_size[0]
        i = 0
        for s, stage in enumerate(model.layers):
            for blk in stage.blocks:
                sites.append(AttnSite(i, blk.attn, "window", tuple(blk.window_size), 0, float(patch * 2 ** s)))
                i += 1
    else:
        raise ValueError(f"{type(model).__name__} has no ViT `blocks` or Swin `layers`")
    return sites


def token_distances(grid, pixels_per_token: float) -> torch.Tensor:
    """Pairwise Euclidean distances (pixels) between the tokens of a grid, row-major."""
    ys, xs = torch.meshgrid(torch.arange(grid[0]), torch.arange(grid[1]), indexing="ij")
    pos = torch.stack([ys.flatten(), xs.flatten()], 1).double() * pixels_per_token
    return torch.cdist(pos, pos)


def mean_distance(attn: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
    """attn [..., H, N, N] (rows sum to 1) -> summed (over leading dims and queries) distance per head, [H]."""
    per_query = (attn.double() * dist).sum(-1)          # [..., H, N]
    return per_query.flatten(0, -3).sum(0).sum(-1) if per_query.dim() > 2 else per_query.sum(-1)


def head_kl(attn: torch.Tensor) -> torch.Tensor:
    """Summed over leading dims and queries: KL(A_h[i] || A_g[i]) for every ordered head pair, [H, H]."""
    a = attn.double().flatten(0, -4) if attn.dim() > 3 else attn.double()[None]   # [B, H, N, N]
    logp = torch.log(a + KL_EPS)
    self_term = (a * logp).sum(-1)                                                # [B, H, N]
    cross = torch.einsum("bhij,bgij->bhgi", a, logp)                             # [B, H, G, N]
    return (self_term[:, :, None, :] - cross).sum(dim=(0, 3))


class AttentionStats:
    """Running sums of attention distance and head KL per layer."""

    def __init__(self, sites: List[AttnSite]):
        self.sites = sites
        self.dist_sum: Dict[int, torch.Tensor] = {}
        self.kl_sum: Dict[int, torch.Tensor] = {}
        self.count: Dict[int, int] = {}
        self._dist = {}

    def update(self, site: AttnSite, attn: torch.Tensor, want_distance: bool, want_kl: bool,
               cls_token: str = "drop"):
        """Add one batch of `site`'s attention probabilities to the running distance and head-KL sums (cls_token:
        see the module docstring)."""
        renormalised = attn
        if site.kind == "global" and site.prefix:
            attn = attn[..., site.prefix:, site.prefix:]
            renormalised = attn / attn.sum(-1, keepdim=True).clamp_min(1e-12)  # patch-to-patch
            if cls_token == "renormalise":
                attn = renormalised
        n_queries = attn.shape[-2] * math.prod(attn.shape[:-3])
        key = site.layer
        if want_distance:
            if key not in self._dist:
                self._dist[key] = token_distances(site.grid, site.pixels_per_token)
            d = mean_distance(attn, self._dist[key].to(attn.device))
            self.dist_sum[key] = self.dist_sum.get(key, 0) + d.cpu()
        if want_kl:
            self.kl_sum[key] = self.kl_sum.get(key, 0) + head_kl(renormalised).cpu()
        self.count[key] = self.count.get(key, 0) + n_queries

    def attention_distance(self) -> List[List[float]]:
        """Per layer, in order: each head's mean attention distance in pixels over the queries seen."""
        return [(self.dist_sum[k] / self.count[k]).tolist() for k in sorted(self.dist_sum)]

    def head_diversity(self):
        """Per head: mean KL to every other head; per layer: mean over ordered head pairs."""
        per_head, per_layer = [], []
        for k in sorted(self.kl_sum):
            kl = self.kl_sum[k] / self.count[k]
            h = kl.shape[0]
            off = kl.sum() - kl.diagonal().sum()
            per_head.append(((kl.sum(1) - kl.diagonal()) / max(h - 1, 1)).tolist())
            per_layer.append(float(off / max(h * (h - 1), 1)))
        return per_head, per_layer


class CKAStats:
    """Linear CKA between every pair of layers from running moments (samples = tokens x images)."""

    def __init__(self):
        self.n = 0
        self.sums: Dict[int, torch.Tensor] = {}
        self.cross: Dict[tuple, torch.Tensor] = {}

    def update(self, feats: List[torch.Tensor]):
        """feats: per layer [S, C_l] with the same S (tokens x images of this batch)."""
        xs = [f.double().cpu() for f in feats]
        self.n += xs[0].shape[0]
        for i, x in enumerate(xs):
            self.sums[i] = self.sums.get(i, 0) + x.sum(0)
            for j in range(i, len(xs)):
                self.cross[(i, j)] = self.cross.get((i, j), 0) + x.T @ xs[j]

    def matrix(self) -> List[List[float]]:
        """The [L, L] linear CKA between every pair of layers seen so far, from the running moments."""
        n, L = self.n, len(self.sums)
        mu = {i: self.sums[i] / n for i in range(L)}
        cov = {(i, j): self.cross[(i, j)] - n * torch.outer(mu[i], mu[j]) for (i, j) in self.cross}
        norm = {i: torch.linalg.matrix_norm(cov[(i, i)]) for i in range(L)}
        out = np.eye(L)
        for (i, j), c in cov.items():
            if i != j:
                out[i, j] = out[j, i] = float(torch.linalg.matrix_norm(c) ** 2 / (norm[i] * norm[j]))
        return out.tolist()


def unbiased_hsic(k: torch.Tensor, l: torch.Tensor) -> torch.Tensor:
    """Song et al.'s (JMLR'12, eq. 5) unbiased HSIC estimator of two [n, n] Gram matrices (n >= 4)."""
    n = k.shape[0]
    k, l = k.clone(), l.clone()
    k.fill_diagonal_(0)
    l.fill_diagonal_(0)
    term = (k * l).sum() + k.sum() * l.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * (k.sum(0) @ l.sum(1))
    return term / (n * (n - 3))


class MinibatchCKAStats:
    """Minibatch linear CKA between every pair of layers (module docstring): running sums of unbiased HSIC."""

    def __init__(self):
        self.hsic: Dict[tuple, float] = {}
        self.batches = self.n = 0

    def update(self, feats: List[torch.Tensor]):
        """feats: per layer [B, D_l] (one row per image); a batch of fewer than 4 images is left out."""
        if feats[0].shape[0] < 4:
            return
        grams = [f.double() @ f.double().T for f in feats]
        for i in range(len(grams)):
            for j in range(i, len(grams)):
                self.hsic[(i, j)] = self.hsic.get((i, j), 0.0) + float(unbiased_hsic(grams[i], grams[j]))
        self.batches += 1
        self.n += feats[0].shape[0]

    def matrix(self) -> List[List[float]]:
        """The [L, L] minibatch CKA (NaN where nothing was seen)."""
        L = max((j for _, j in self.hsic), default=-1) + 1
        out = np.full((L, L), np.nan)
        for (i, j), h in self.hsic.items():
            out[i, j] = out[j, i] = h / math.sqrt(self.hsic[(i, i)] * self.hsic[(j, j)])
        return out.tolist()


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> float:
    """Reference linear CKA of two [S, C] feature matrices (Kornblith et al. 2019)."""
    stats = CKAStats()
    stats.update([x, y])
    return stats.matrix()[0][1]


def _pool_to(feat: torch.Tensor, grid) -> torch.Tensor:
    """[B, H, W, C] block output -> [B * h * w, C] on the coarsest grid of the model."""
    x = feat.permute(0, 3, 1, 2)
    if tuple(x.shape[-2:]) != tuple(grid):
        x = nn.functional.adaptive_avg_pool2d(x, grid)
    return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])


CLS_TOKEN = ("drop", "renormalise")
CKA_ESTIMATORS = ("minibatch", "tokens")


@torch.no_grad()
def analyze(model: nn.Module, batches, metrics=("attention-distance", "head-diversity", "cka"),
            cls_token: str = "drop", cka_estimator: str = "minibatch") -> dict:
    """Run `model` (a timm ViT / BEiT / Swin / SwinV2) over `batches` of images and reduce on the fly
    (`cls_token`, `cka_estimator`: see the module docstring)."""
    if cls_token not in CLS_TOKEN or cka_estimator not in CKA_ESTIMATORS:
        raise ValueError(f"cls_token must be one of {CLS_TOKEN} and cka one of {CKA_ESTIMATORS}")
    model.eval()
    sites = attention_sites(model)
    stats = AttentionStats(sites)
    want_d, want_kl = "attention-distance" in metrics, "head-diversity" in metrics
    hooks, saved_fused = [], []
    if want_d or want_kl:
        for site in sites:
            saved_fused.append((site.module, getattr(site.module, "fused_attn", False)))
            site.module.fused_attn = False  # materialise the softmax probabilities
            hooks.append(site.module.attn_drop.register_forward_hook(
                lambda mod, inp, out, site=site: stats.update(site, out, want_d, want_kl, cls_token)))
    blocks = transformer_blocks(model)
    captured = {}
    cka = ({"minibatch": MinibatchCKAStats, "tokens": CKAStats}[cka_estimator]()) if "cka" in metrics else None
    if cka is not None:
        for i, blk in enumerate(blocks):
            hooks.append(blk.register_forward_hook(lambda mod, inp, out, i=i: captured.__setitem__(i, out)))
    try:
        n_images = 0
        for x in batches:
            captured.clear()
            model(x)
            n_images += x.shape[0]
            if cka is not None:
                feats = [captured[i] for i in range(len(blocks))]
                if feats[0].dim() == 3:  # ViT tokens [B, T, C]: drop prefix tokens
                    prefix = getattr(model, "num_prefix_tokens", 1)
                    feats = [f[:, prefix:] for f in feats]
                else:  # Swin stages [B, H, W, C]: compare on the coarsest grid
                    grid = min((f.shape[1], f.shape[2]) for f in feats)
                    feats = [_pool_to(f, grid).view(x.shape[0], -1, f.shape[-1]) for f in feats]
                per_image = cka_estimator == "minibatch"
                cka.update([f.reshape(x.shape[0], -1) if per_image else f.reshape(-1, f.shape[-1]) for f in feats])
    finally:
        for h in hooks:
            h.remove()
        for module, fused in saved_fused:
            module.fused_attn = fused
    out = {"n_images": n_images, "n_layers": len(sites), "kl_eps": KL_EPS, "cls_token": cls_token}
    if want_d:
        out["attention_distance"] = stats.attention_distance()
    if want_kl:
        out["head_diversity"], out["head_diversity_layer"] = stats.head_diversity()
    if cka is not None:
        out["cka"], out["cka_estimator"] = cka.matrix(), cka_estimator
        if cka_estimator == "minibatch":
            out["cka_images"] = cka.n
    return out
