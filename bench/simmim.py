"""SimMIM pre-training (microsoft/SimMIM, protocols.md §4.2) on mmengine for any registry Swin / SwinV2 / BEiT /
ViT encoder: random masking of mask-patch squares, a learnable mask token after the patch embedding, a 1x1-conv +
PixelShuffle decoder, L1 on the normalised pixels of the masked area. Checkpoints are written in the official
SimMIM layout ({'model': {encoder.*, decoder.*}}, tensors only), so the registry loads them with a clean audit."""
import math
import re

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from PIL import Image
from torch import nn
from torchvision.transforms import v2

from backbones.build import build_model
from backbones.core.errors import BenchError
from backbones.core.io import atomic_path
from backbones.registry import get_spec

ARCHS = {"swin-b": "simmim-swin-b", "swin-l": "simmim-swin-l", "swinv2-b": "simmim-swinv2-b",
         "vit-b": "simmim-vit-b"}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class MaskGenerator:
    """SimMIM's mask: ceil(ratio x count) random cells of a (size / mask_patch)^2 grid, upsampled to the encoder's
    token grid by np.repeat (1 = masked)."""

    def __init__(self, input_size, mask_patch_size=32, model_patch_size=4, mask_ratio=0.6, seed=None):
        h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
        if h % mask_patch_size or w % mask_patch_size or mask_patch_size % model_patch_size:
            raise BenchError(f"input {h}x{w} must divide into {mask_patch_size}-px mask patches, and those into "
                             f"{model_patch_size}-px model patches")
        self.grid = (h // mask_patch_size, w // mask_patch_size)
        self.scale = mask_patch_size // model_patch_size
        self.count = self.grid[0] * self.grid[1]
        self.mask_count = int(math.ceil(self.count * mask_ratio))
        self.rng = np.random.default_rng(seed)

    def __call__(self) -> np.ndarray:
        idx = self.rng.permutation(self.count)[:self.mask_count]
        mask = np.zeros(self.count, dtype=np.int64)
        mask[idx] = 1
        mask = mask.reshape(self.grid)
        return mask.repeat(self.scale, axis=0).repeat(self.scale, axis=1)


@DATASETS.register_module()
class ImageFolderForMIM(BaseDataset):
    """Every image under a folder (recursive), with SimMIM's augmentation and a fresh mask per sample."""

    def __init__(self, data_root, img_size, mask_patch, model_patch, mask_ratio, mean, std, **kwargs):
        self.transform = v2.Compose([
            v2.PILToTensor(), v2.RandomResizedCrop(tuple(img_size), scale=(0.67, 1.0), ratio=(3 / 4, 4 / 3),
                                                   antialias=True),
            v2.RandomHorizontalFlip(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))])
        self.masks = MaskGenerator(tuple(img_size), mask_patch, model_patch, mask_ratio)
        super().__init__(data_root=data_root, serialize_data=False, **kwargs)

    def load_data_list(self):
        files = sorted(p for p in Path(self.data_root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise BenchError(f"--images {self.data_root}: no images ({', '.join(IMAGE_SUFFIXES)}) found")
        return [{"img_path": str(p)} for p in files]

    def __getitem__(self, idx):
        with Image.open(self.get_data_info(idx)["img_path"]) as img:
            x = self.transform(img.convert("RGB"))
        return {"inputs": x, "data_samples": torch.from_numpy(self.masks())}


def encoder_kind(model: nn.Module) -> str:
    """Return 'swin', 'beit' or 'vit' for a timm encoder; raise BenchError for any other model type."""
    from timm.models.beit import Beit
    from timm.models.swin_transformer import SwinTransformer
    from timm.models.swin_transformer_v2 import SwinTransformerV2
    from timm.models.vision_transformer import VisionTransformer

    for cls, kind in ((SwinTransformer, "swin"), (SwinTransformerV2, "swin"), (Beit, "beit"),
                      (VisionTransformer, "vit")):
        if isinstance(model, cls):
            return kind
    raise BenchError(f"SimMIM pre-training supports Swin, SwinV2, BEiT and ViT encoders, not {type(model).__name__}")


def norm_targets(x: torch.Tensor, patch: int) -> torch.Tensor:
    """SwinV2 SimMIM's target (microsoft/Swin-Transformer models/simmim.py `norm_targets`): each pixel normalised by
    the mean and unbiased variance of its `patch` x `patch` neighbourhood (odd patch; borders count only the pixels
    inside the image)."""
    pad = patch // 2
    mean = F.avg_pool2d(x, patch, 1, pad, count_include_pad=False)
    sq_mean = F.avg_pool2d(x ** 2, patch, 1, pad, count_include_pad=False)
    count = F.avg_pool2d(torch.ones_like(x), patch, 1, pad, count_include_pad=True) * patch ** 2
    var = ((sq_mean - mean ** 2) * (count / (count - 1))).clamp(min=0)
    return (x - mean) / (var + 1e-6) ** 0.5


@MODELS.register_module()
class SimMIM(BaseModel):
    """SimMIM (microsoft/SimMIM models/simmim.py): masked tokens replaced by a learned mask token, a 1x1 conv +
    PixelShuffle decoder, L1 on the masked pixels of the (SwinV2: locally normalised) input."""

    def __init__(self, backbone: str, img_size, drop_path_rate=0.0, norm_target_patch=None, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.spec = get_spec(backbone)
        self.norm_target_patch = norm_target_patch
        self.encoder = build_model(self.spec, img_size=tuple(img_size), drop_path_rate=drop_path_rate,
                                   shared_rel_pos_bias=self.spec.arch == "beit")
        self.kind = encoder_kind(self.encoder)
        self.patch = self.encoder.patch_embed.patch_size[0]
        embed = self.encoder.patch_embed.proj.out_channels
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed))
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        info = self.encoder.feature_info[-1]
        self.stride = info["reduction"]
        self.decoder = nn.Sequential(nn.Conv2d(info["num_chs"], self.stride ** 2 * 3, 1),
                                     nn.PixelShuffle(self.stride))

    def encode(self, x, mask):
        """Encode `x` with the masked patch tokens replaced by the mask token; return the last map as [B, C, h, w]."""
        enc = self.encoder
        t = enc.patch_embed(x)
        if self.kind == "swin":  # NHWC tokens
            w = mask.unsqueeze(-1).type_as(t)
            t = t * (1 - w) + self.mask_token.view(1, 1, 1, -1) * w
            t = enc.norm(enc.layers(t))
            return t.permute(0, 3, 1, 2)
        b, n, _ = t.shape
        w = mask.flatten(1).unsqueeze(-1).type_as(t)
        t = t * (1 - w) + self.mask_token * w
        if self.kind == "beit":
            t = torch.cat([enc.cls_token.expand(b, -1, -1), t], dim=1)
            if enc.pos_embed is not None:
                t = t + enc.pos_embed
            rel = enc.rel_pos_bias() if enc.rel_pos_bias is not None else None
            for blk in enc.blocks:
                t = blk(t, shared_rel_pos_bias=rel)
        else:
            t = enc.norm_pre(enc._pos_embed(t))
            t = enc.blocks(t)
        t = enc.norm(t)[:, -n:]
        h, w_ = mask.shape[-2:]
        return t.transpose(1, 2).reshape(b, -1, h, w_)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        mask = data_samples
        rec = self.decoder(self.encode(inputs, mask))
        if mode == "tensor":
            return rec
        if mode == "loss":
            target = norm_targets(inputs, self.norm_target_patch) if self.norm_target_patch else inputs
            return {"loss_rec": masked_l1(rec, target, mask, self.patch)}
        return [rec]


def masked_l1(rec, target, mask, patch: int):
    """SimMIM's loss: L1 over the masked pixels only, averaged over them and the channels."""
    pix = mask.repeat_interleave(patch, 1).repeat_interleave(patch, 2).unsqueeze(1).type_as(target)
    return (F.l1_loss(rec, target, reduction="none") * pix).sum() / (pix.sum() + 1e-5) / target.shape[1]


def official_state_dict(model: SimMIM) -> dict:
    """Encoder + decoder in microsoft/SimMIM's key layout: `encoder.` prefix (Swin patch merging at the end of a
    stage, as the official code has it), `encoder.mask_token`, `decoder.0.*`; tensors only."""
    out = {}
    for key, value in model.encoder.state_dict().items():
        if model.kind == "swin":
            key = re.sub(r"^layers\.(\d+)\.downsample", lambda m: f"layers.{int(m.group(1)) - 1}.downsample", key)
        out[f"encoder.{key}"] = value.detach().cpu().contiguous()
    out["encoder.mask_token"] = model.mask_token.detach().cpu().contiguous()
    for key, value in model.decoder.state_dict().items():
        out[f"decoder.{key}"] = value.detach().cpu().contiguous()
    return out


def save_official(model: SimMIM, path: Path) -> Path:
    """Atomically write the checkpoint (.pth: {'model': ...}; .safetensors: the flat dict)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = official_state_dict(model)
    with atomic_path(path, suffix=path.suffix) as tmp:
        if path.suffix == ".safetensors":
            from safetensors.torch import save_file

            save_file(state, str(tmp))
        else:
            torch.save({"model": state}, tmp)
    return path


@torch.no_grad()
def save_preview(model: SimMIM, dataset, path: Path, n: int = 4):
    """Rows of input | masked input | reconstruction (visible pixels kept) for the first `n` images."""
    import cv2

    model.eval()
    mean = torch.tensor(model.spec.mean).view(3, 1, 1)
    std = torch.tensor(model.spec.std).view(3, 1, 1)
    rows = []
    for i in range(min(n, len(dataset))):
        item = dataset[i]
        x, mask = item["inputs"][None], item["data_samples"][None]
        rec = model(x, mask, mode="tensor")[0]
        pix = mask.repeat_interleave(model.patch, 1).repeat_interleave(model.patch, 2)[0].float()
        show = lambda t: ((t * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()[..., ::-1] * 255)  # noqa: E731
        masked = x[0] * (1 - pix) + pix * ((torch.full_like(x[0], 0.5) - mean) / std)
        filled = x[0] * (1 - pix) + rec * pix
        rows.append(np.concatenate([show(x[0]), show(masked), show(filled)], axis=1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.concatenate(rows, axis=0).astype(np.uint8))
    model.train()
    return path


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SimMIMPretrainConstructor(DefaultOptimWrapperConstructor):
    """SimMIM's pre-training parameter groups (microsoft/SimMIM optimizer.py get_pretrain_param_groups): no weight
    decay for 1-D parameters, biases and names containing one of paramwise_cfg `no_decay_keywords` (the encoder's
    skip list: Swin absolute_pos_embed, relative_position_bias_table, mask_token; SwinV2 also cpb_mlp, logit_scale
    (microsoft/Swin-Transformer); ViT pos_embed, cls_token only: its mask token and shared table are decayed)."""

    def add_params(self, params, module, prefix="", lr=None):
        """Two groups: decayed and not."""
        keywords = tuple(self.paramwise_cfg.get("no_decay_keywords", ()))
        decay, no_decay = [], []
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            exempt = param.ndim <= 1 or name.endswith(".bias") or any(k in name for k in keywords)
            (no_decay if exempt else decay).append(param)
        params.extend([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}])
