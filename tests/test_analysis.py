"""Representation analysis: captured attention, distances (ViT and shifted Swin windows), head KL, linear CKA, CLI;
and the diversity ablation `--reinit-last-layers`."""
import json

import numpy as np
import pytest
import torch

from bench.analysis import head_kl, linear_cka, mean_distance, token_distances
from bench.cli import main


def _capture(attn_module, run):
    """Attention probabilities of one timm attention module during `run()` (fused attention off)."""
    seen = []
    attn_module.fused_attn = False
    hook = attn_module.attn_drop.register_forward_hook(lambda m, i, o: seen.append(o.detach()))
    try:
        run()
    finally:
        hook.remove()
    return seen[0]


def test_captured_rows_sum_to_one():
    from backbones import build_backbone

    model = build_backbone("timm:vit_tiny_patch16_224", img_size=(64, 64)).model.eval()
    attn = _capture(model.blocks[3].attn, lambda: model(torch.randn(2, 3, 64, 64)))
    assert attn.shape == (2, 3, 17, 17)
    assert torch.allclose(attn.sum(-1), torch.ones(2, 3, 17))


def test_distance_of_hand_built_maps():
    grid = (4, 5)
    dist = token_distances(grid, 16.0)
    n = 20
    identity = torch.eye(n).expand(2, n, n)  # 2 heads attending only to themselves
    assert torch.allclose(mean_distance(identity, dist) / n, torch.zeros(2, dtype=torch.float64))
    uniform = torch.full((2, n, n), 1.0 / n)
    brute = np.mean([16 * np.hypot(a // 5 - b // 5, a % 5 - b % 5) for a in range(n) for b in range(n)])
    assert (mean_distance(uniform, dist) / n).tolist() == pytest.approx([brute, brute])


def test_shifted_window_distances_match_original_positions():
    """In a shifted Swin block, window-local distances equal the distances between the tokens' true positions
    (pairs split by the cyclic shift are masked, so they carry no attention)."""
    from timm.models.swin_transformer import SwinTransformerBlock

    torch.manual_seed(0)
    res, w, shift = 8, 4, 2
    blk = SwinTransformerBlock(dim=16, input_resolution=(res, res), num_heads=2, window_size=w, shift_size=shift)
    blk.eval()
    attn = _capture(blk.attn, lambda: blk(torch.randn(1, res, res, 16)))     # [nW, H, w*w, w*w]
    ours = mean_distance(attn, token_distances((w, w), 4.0))
    # brute force: true (un-rolled) coordinates of every token of every shifted window
    coords = torch.stack(torch.meshgrid(torch.arange(res), torch.arange(res), indexing="ij"), -1)
    rolled = torch.roll(coords, shifts=(-shift, -shift), dims=(0, 1))
    windows = rolled.view(res // w, w, res // w, w, 2).permute(0, 2, 1, 3, 4).reshape(-1, w * w, 2).double()
    true_dist = torch.cdist(windows * 4.0, windows * 4.0)                        # [nW, w*w, w*w]
    brute = (attn.double() * true_dist[:, None]).sum(-1).sum(dim=(0, 2))
    assert torch.allclose(ours, brute, rtol=1e-4)
    assert attn[0].sum(-1).allclose(torch.ones(2, w * w))


def test_head_kl():
    a = torch.softmax(torch.randn(1, 1, 6, 6), -1).expand(1, 3, 6, 6)
    assert head_kl(a).abs().max() < 1e-9                  # identical heads: 0
    b = torch.softmax(torch.randn(1, 3, 6, 6) * 3, -1)
    kl = head_kl(b)
    assert kl.diagonal().abs().max() < 1e-12 and (kl + torch.eye(3) > 0).all()
    assert not torch.allclose(kl, kl.T)                   # ordered pairs: KL is asymmetric


def test_linear_cka_properties():
    torch.manual_seed(0)
    x, y = torch.randn(300, 8), torch.randn(300, 6)
    assert linear_cka(x, x) == pytest.approx(1.0)
    q, _ = torch.linalg.qr(torch.randn(6, 6))
    assert linear_cka(x, y @ q * 3.7) == pytest.approx(linear_cka(x, y), rel=1e-5)
    assert linear_cka(x, x @ torch.randn(8, 8)) > linear_cka(x, y)


def test_analyze_cli_vit_and_swin(tmp_path, capsys):
    out = tmp_path / "an"
    assert main(["analyze", "--backbone", "timm:vit_tiny_patch16_224,demo-simmim", "--toy", "--n-images", "6",
                 "--batch-size", "4", "--img-size", "64", "64", "--out", str(out)]) == 0
    data = json.loads((out / "analysis.json").read_text())
    vit, swin = data["timm:vit_tiny_patch16_224"], data["demo-simmim"]
    assert vit["n_images"] == 6 and len(vit["attention_distance"]) == 12 and len(vit["attention_distance"][0]) == 3
    assert len(swin["head_diversity_layer"]) == 5 and len(swin["cka"]) == 5
    assert all(abs(vit["cka"][i][i] - 1) < 1e-9 for i in range(12))
    for name in ("attention_distance.png", "head_diversity.png", "cka_demo-simmim.png", "analysis.csv"):
        assert (out / name).stat().st_size > 100
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    assert main(["analyze", "--backbone", "demo-simmim", "--images", str(imgs), "--out", str(out)]) == 2
    assert "no images found" in capsys.readouterr().err
    assert main(["analyze", "--backbone", "demo-simmim", "--toy", "--metrics", "entropy", "--out", str(out)]) == 2
    assert main(["analyze", "--backbone", "timm:resnet18", "--toy", "--n-images", "2", "--out", str(out)]) == 2


def test_reinit_last_layers(tmp_path, toy_cub, capsys):
    from backbones import BenchError, build_backbone

    source = build_backbone("demo-simmim")
    path = tmp_path / "w.pth"
    torch.save({"model": source.model.state_dict()}, path)
    bb = build_backbone("demo-simmim", weights=str(path), reinit_last_layers=2)
    blocks = [k for k in source.model.state_dict() if ".blocks." in k and k.endswith("mlp.fc1.weight")]
    same = [torch.equal(bb.model.state_dict()[k], source.model.state_dict()[k]) for k in blocks]
    assert same == [True, True, True, False, False]  # 5 blocks; the last 2 are fresh
    with pytest.raises(BenchError, match="has 5 blocks"):
        build_backbone("demo-simmim", reinit_last_layers=6)
    results = tmp_path / "r"
    assert main(["run", "--backbone", "demo-simmim", "--weights", str(path), "--task", "fgvc", "--dataset", "cub",
                 "--protocol", "linear", "--data-root", str(toy_cub), "--epochs", "2", "--reinit-last-layers", "1",
                 "--img-size", "64", "64", "--device", "cpu", "--results", str(results)]) == 0
    row = json.loads(next((results / "classification").glob("*.json")).read_text())
    assert row["extra"]["reinit_last_layers"] == 1 and row["config"]["model"]["backbone"]["reinit_last_layers"] == 1


def test_unbiased_hsic_is_song_et_al_u_statistic():
    """Song et al. (JMLR'12): HSIC_1 is the U-statistic with kernel h(i,j,q,r) = 1/24 sum over the orderings
    (t,u,v,w) of k_tu l_tu + k_tu l_vw - 2 k_tu l_tv, averaged over every 4 distinct samples."""
    import itertools

    from bench.analysis import unbiased_hsic

    torch.manual_seed(0)
    x, y = torch.randn(7, 3, dtype=torch.float64), torch.randn(7, 5, dtype=torch.float64)
    k, l = x @ x.T, y @ y.T
    total = 0.0
    quads = list(itertools.combinations(range(7), 4))
    for quad in quads:
        h = sum(k[t, u] * l[t, u] + k[t, u] * l[v, w] - 2 * k[t, u] * l[t, v]
                for t, u, v, w in itertools.permutations(quad)) / 24
        total += float(h)
    assert float(unbiased_hsic(k, l)) == pytest.approx(total / len(quads), rel=1e-9)


def test_minibatch_cka_properties():
    from bench.analysis import MinibatchCKAStats

    torch.manual_seed(0)
    q = torch.linalg.qr(torch.randn(16, 16))[0]
    stats, independent = MinibatchCKAStats(), MinibatchCKAStats()
    for _ in range(20):
        x, y = torch.randn(8, 16), torch.randn(8, 16)
        stats.update([x, x @ q * 3.7, x + 0.5 * y])
        independent.update([x, y])
    cka = stats.matrix()
    assert cka[0][0] == pytest.approx(1.0) and cka[0][1] == pytest.approx(1.0)  # rotation and scale invariant
    assert 0.5 < cka[0][2] < 1.0
    # unbiased: independent features give about 0 (the biased estimator on 8 samples of 16 dims gives about 0.7)
    assert abs(independent.matrix()[0][1]) < 0.1 and linear_cka(torch.randn(8, 16), torch.randn(8, 16)) > 0.4
    small = MinibatchCKAStats()
    small.update([torch.randn(3, 4), torch.randn(3, 4)])
    assert small.batches == 0  # fewer than 4 images: no unbiased estimate, left out


def test_class_token_drop_or_renormalise():
    """Each patch query puts half its attention on the class token and half on the patch one step right (16 px):
    dropped as it is, the class token's half counts as no distance (8 px); renormalised, the distance is 16 px."""
    from bench.analysis import AttentionStats, AttnSite

    n = 4  # a 2 x 2 grid; token 0 is the class token
    attn = torch.zeros(1, 1, n + 1, n + 1)
    attn[..., :, 0] = 0.5
    for i, j in ((0, 1), (1, 0), (2, 3), (3, 2)):
        attn[..., 1 + i, 1 + j] = 0.5
    site = AttnSite(0, None, "global", (2, 2), 1, 16.0)
    for mode, expected in (("drop", 8.0), ("renormalise", 16.0)):
        stats = AttentionStats([site])
        stats.update(site, attn, want_distance=True, want_kl=False, cls_token=mode)
        assert stats.attention_distance() == [[pytest.approx(expected)]]


def test_analyze_cli_options(tmp_path, capsys):
    out = tmp_path / "an"
    common = ["analyze", "--backbone", "timm:vit_tiny_patch16_224", "--toy", "--n-images", "4", "--img-size", "32",
              "32", "--out", str(out)]
    assert main(common + ["--batch-size", "4", "--cls-token", "renormalise", "--cka", "tokens"]) == 0
    tokens = json.loads((out / "analysis.json").read_text())["timm:vit_tiny_patch16_224"]
    assert tokens["cls_token"] == "renormalise" and tokens["cka_estimator"] == "tokens"
    assert main(common + ["--batch-size", "4"]) == 0
    default = json.loads((out / "analysis.json").read_text())["timm:vit_tiny_patch16_224"]
    assert default["cls_token"] == "drop" and default["cka_estimator"] == "minibatch" and default["cka_images"] == 4
    assert default["attention_distance"] != tokens["attention_distance"] and default["cka"] != tokens["cka"]
    capsys.readouterr()
    assert main(common + ["--batch-size", "2"]) == 2
    assert "--cka minibatch needs at least 4 images per batch" in capsys.readouterr().err


def test_drop_last_layers(tmp_path, toy_cub, capsys):
    """The other reading of the diversity ablation: the last K blocks removed, not re-initialised."""
    from backbones import BenchError, build_backbone

    vit = build_backbone("timm:vit_tiny_patch16_224", img_size=(64, 64), drop_last_layers=3)
    assert len(vit.model.blocks) == 9 and vit.out_indices == (8,)
    full = build_backbone("timm:vit_tiny_patch16_224", img_size=(64, 64))
    vit.load_state_dict({k: v for k, v in full.state_dict().items() if not any(f"blocks.{i}." in k
                                                                               for i in (9, 10, 11))})
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # the truncated model's output is the full model's block 8, normalised
        inner = full.model.forward_intermediates(x, indices=[8], norm=True, intermediates_only=True)[0]
        assert torch.allclose(vit.eval()(x)[0], inner, atol=1e-5)
    swin = build_backbone("timm:swin_tiny_patch4_window7_224", drop_last_layers=1)  # depths 2, 2, 6, 2
    assert [len(stage.blocks) for stage in swin.model.layers] == [2, 2, 6, 1] and swin.out_indices == (0, 1, 2, 3)
    with pytest.raises(BenchError, match="last stage has 1 block"):
        build_backbone("demo-simmim", drop_last_layers=1)
    results = tmp_path / "r"
    common = ["run", "--backbone", "timm:vit_tiny_patch16_224", "--task", "fgvc", "--dataset", "cub",
              "--protocol", "linear",
              "--data-root", str(toy_cub), "--epochs", "2", "--img-size", "64", "64", "--device", "cpu",
              "--results", str(results)]
    assert main(common + ["--drop-last-layers", "1"]) == 0 and main(common + ["--reinit-last-layers", "1"]) == 0
    rows = [json.loads(p.read_text()) for p in (results / "classification").glob("*.json")]
    assert len(rows) == 2 and len({r["cell_id"] for r in rows}) == 2  # two experiments, two cells
    dropped = next(r for r in rows if r["extra"]["drop_last_layers"] == 1)
    assert dropped["cell"]["drop_last_layers"] == 1 and dropped["config"]["model"]["backbone"]["drop_last_layers"] == 1
    capsys.readouterr()
    assert main(common + ["--drop-last-layers", "-1"]) == 2
    assert "--drop-last-layers -1: pass 0 or more" in capsys.readouterr().err
