import numpy as np
import torch
import torch.nn.functional as F

from backbones.resize import resize_rpb_table


def _smooth_table(side, heads=4):
    y, x = torch.meshgrid(torch.linspace(-1, 1, side), torch.linspace(-1, 1, side), indexing="ij")
    maps = [torch.exp(-(x ** 2 + y ** 2) * (h + 1)) + 0.3 * torch.cos(2 * x + h) for h in range(heads)]
    return torch.stack(maps, -1).reshape(side * side, heads)


def _bicubic(table, src, dst):
    grid = table.reshape(src, src, -1).permute(2, 0, 1)[None]
    out = F.interpolate(grid, size=dst, mode="bicubic", align_corners=True)[0]
    return out.permute(1, 2, 0).reshape(dst[0] * dst[1], -1)


def test_geometric_resize_correlates_with_bicubic():
    table = _smooth_table(11)
    for dst in [(13, 13), (23, 23), (31, 23), (7, 7)]:
        ours = resize_rpb_table(table, (11, 11), dst)
        ref = _bicubic(table, 11, dst)
        assert ours.shape == (dst[0] * dst[1], 4)
        corr = np.corrcoef(ours.flatten().numpy(), ref.flatten().numpy())[0, 1]
        assert corr > 0.9, (dst, corr)  # geometric spacing keeps the centre, so not identical


def test_resize_identity_and_centre_preserved():
    table = _smooth_table(11)
    assert resize_rpb_table(table, (11, 11), (11, 11)) is table
    out = resize_rpb_table(table, (11, 11), (23, 23)).reshape(23, 23, -1)
    # zero relative offset maps to zero relative offset
    assert torch.allclose(out[11, 11], table.reshape(11, 11, -1)[5, 5], atol=1e-5)


def test_extra_rows_kept():
    table = torch.cat([_smooth_table(27, 12), torch.arange(36.).reshape(3, 12)])
    out = resize_rpb_table(table, (27, 27), (31, 23), num_extra=3)
    assert out.shape == (31 * 23 + 3, 12)
    assert torch.equal(out[-3:], table[-3:])
