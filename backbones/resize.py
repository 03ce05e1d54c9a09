"""Geometry changes between pre-training and fine-tuning: relative-position-bias tables and absolute pos-embeds.

`resize_rpb_table` ports SimMIM's geometric-progression resampling (`remap_pretrained_keys_swin/vit`), which used
the removed `scipy.interpolate.interp2d`, to `RectBivariateSpline` (cubic); it also handles rectangular targets
(e.g. a 16x12 ViT grid at 256x192) and shrinking, where the upstream bisection silently degenerated."""
import numpy as np
import torch
from scipy.interpolate import RectBivariateSpline


def _progression_ratio(src: int, dst: int) -> float:
    """q such that 1 + q + ... + q^(src//2 - 1) == dst//2 (bisection; q < 1 when shrinking)."""
    n, target = src // 2, dst // 2
    lo, hi = 0.05, 1.5
    for _ in range(60):
        q = (lo + hi) / 2
        total = sum(q ** i for i in range(n))
        lo, hi = (lo, q) if total > target else (q, hi)
    return (lo + hi) / 2


def _axis(src: int, dst: int):
    """Source sample positions (geometric spacing) and integer target positions along one axis."""
    q = _progression_ratio(src, dst)
    dis, cur = [], 1.0
    for i in range(src // 2):
        dis.append(cur)
        cur += q ** (i + 1)
    src_pos = np.array([-d for d in reversed(dis)] + [0.0] + dis)
    t = dst // 2
    return src_pos, np.arange(-t, t + 0.1, 1.0)


def resize_rpb_2d(table: torch.Tensor, src_hw, dst_hw) -> torch.Tensor:
    """[(2Wh-1)*(2Ww-1), nH] -> [(2Wh'-1)*(2Ww'-1), nH] for relative distance grids of sizes src_hw -> dst_hw."""
    (sh, sw), (dh, dw) = src_hw, dst_hw
    if (sh, sw) == (dh, dw):
        return table
    ys, yd = _axis(sh, dh)
    xs, xd = _axis(sw, dw)
    grid = table.detach().float().cpu().numpy().reshape(sh, sw, -1)
    if sh == 1 or sw == 1:  # a 1-wide table (window clipped to 1): nothing to interpolate along that axis
        grid = np.repeat(grid, 2, axis=0) if sh == 1 else grid
        grid = np.repeat(grid, 2, axis=1) if sw == 1 else grid
        ys = np.array([-0.5, 0.5]) if sh == 1 else ys
        xs = np.array([-0.5, 0.5]) if sw == 1 else xs
    k_rows, k_cols = min(3, len(ys) - 1), min(3, len(xs) - 1)  # cubic, or what a small clipped table allows
    out = np.stack([RectBivariateSpline(ys, xs, grid[:, :, h], kx=k_rows, ky=k_cols)(yd, xd)
                    for h in range(grid.shape[-1])], axis=-1)
    return torch.from_numpy(out.reshape(dh * dw, -1)).to(table.dtype)


def resize_rpb_table(table: torch.Tensor, src_hw, dst_hw, num_extra: int = 0) -> torch.Tensor:
    """Resize a table whose last `num_extra` rows (BEiT's cls<->token entries) are kept as they are."""
    if num_extra:
        body, extra = table[:-num_extra], table[-num_extra:]
        return torch.cat([resize_rpb_2d(body, src_hw, dst_hw), extra], dim=0)
    return resize_rpb_2d(table, src_hw, dst_hw)


def square_side(n: int) -> int:
    """The side of a square grid of `n` entries; raise ValueError if `n` is not a perfect square."""
    side = int(round(n ** 0.5))
    if side * side != n:
        raise ValueError(f"{n} entries do not form a square grid")
    return side


def resize_pos_embed(pos: torch.Tensor, dst_grid, num_prefix: int = 1) -> torch.Tensor:
    """Absolute pos-embed [1, prefix + S*S, C] -> [1, prefix + H*W, C], bicubic on the grid part."""
    prefix, grid = pos[:, :num_prefix], pos[:, num_prefix:]
    side = square_side(grid.shape[1])
    grid = grid.reshape(1, side, side, -1).permute(0, 3, 1, 2).float()
    grid = torch.nn.functional.interpolate(grid, size=tuple(dst_grid), mode="bicubic", align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, dst_grid[0] * dst_grid[1], -1).to(pos.dtype)
    return torch.cat([prefix, grid], dim=1)
