"""SimMIM pre-training: the mask, the loss, a short run that learns, official-layout checkpoints that load with a
clean audit, resuming; and `bench demo` end to end at its test preset."""
import json
import math
import re

import pytest
import torch

from bench.cli import main
from bench.simmim import MaskGenerator, SimMIM, masked_l1, save_official


def test_mask_generator_matches_simmim():
    gen = MaskGenerator(192, mask_patch_size=32, model_patch_size=4, mask_ratio=0.6, seed=0)
    mask = gen()
    assert mask.shape == (48, 48)
    cells = mask.reshape(6, 8, 6, 8)
    assert (cells == cells[:, :1, :, :1]).all()  # each 32-px cell is uniformly masked or not
    assert cells[:, 0, :, 0].sum() == math.ceil(0.6 * 36) == 22
    vit = MaskGenerator(224, 32, 16, 0.6, seed=1)()
    assert vit.shape == (14, 14) and vit.sum() == math.ceil(0.6 * 49) * 4
    with pytest.raises(Exception, match="divide"):
        MaskGenerator(200, 32, 4)


def test_loss_counts_only_masked_pixels():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    mask = torch.zeros(2, 8, 8, dtype=torch.long)
    mask[:, :4] = 1  # top half masked (patch 4)
    rec = x.clone()
    rec[:, :, 16:] += 100.0  # wrong only where nothing is masked
    assert masked_l1(rec, x, mask, 4).item() == pytest.approx(0.0, abs=1e-6)
    rec = x.clone()
    rec[:, :, :16] += 2.0
    assert masked_l1(rec, x, mask, 4).item() == pytest.approx(2.0, rel=1e-4)


@pytest.mark.parametrize("arch,size", [("demo-simmim", 64), ("simmim-vit-b", 32), ("timm:vit_tiny_patch16_224", 32)])
def test_official_checkpoint_round_trips(arch, size, tmp_path, capsys):
    model = SimMIM(arch, img_size=(size, size))
    rec = model(torch.randn(1, 3, size, size), torch.zeros(1, size // model.patch, size // model.patch,
                                                           dtype=torch.long))
    assert rec.shape == (1, 3, size, size)
    for suffix in (".pth", ".safetensors"):
        path = save_official(model, tmp_path / f"ckpt{suffix}")
        assert main(["backbones", "verify", arch, "--weights", str(path), "--img-size", str(size), str(size),
                     "--json"]) == 0
        audit = json.loads(capsys.readouterr().out)
        assert audit["ok"] and not audit["missing"]
        assert {d["reason"] for d in audit["dropped"]} == {"mask-token", "simmim-decoder"}
        from backbones.checkpoint import read_checkpoint, unwrap_state_dict

        raw = read_checkpoint(path)
        keys = set(raw["model"] if suffix == ".pth" else raw)
        assert all(k.startswith(("encoder.", "decoder.0.")) for k in keys)
        if model.kind == "swin":  # official Swin layout: patch merging at the end of stage i
            assert "encoder.layers.0.downsample.reduction.weight" in keys
        loaded = {e["model_key"]: e["checkpoint_key"] for e in audit["loaded"]}
        state = unwrap_state_dict(raw)
        for key, value in model.encoder.state_dict().items():
            if key in loaded:
                assert torch.equal(value, state[loaded[key]])


def test_pretrain_cli_learns_resumes_and_previews(toy_cub, tmp_path, capsys):
    out = tmp_path / "mim.pth"
    images = sorted((toy_cub / "images").iterdir())[0]  # one class folder: 50 images
    args = ["pretrain", "simmim", "--arch", "demo-simmim", "--images", str(images), "--img-size", "64",
            "--mask-patch", "16", "--batch-size", "16", "--workers", "0", "--out", str(out)]
    assert main(args + ["--epochs", "12", "--preview", str(tmp_path / "p.png")]) == 0
    text = capsys.readouterr().out
    first, last = map(float, re.search(r"first ([\d.]+) -> last ([\d.]+)", text).groups())
    assert last < first * 0.99, text
    assert (tmp_path / "p.png").stat().st_size > 1000 and out.exists()
    assert main(args + ["--epochs", "13"]) == 0
    assert "resuming SimMIM pre-training" in capsys.readouterr().out
    assert main(["pretrain", "simmim", "--arch", "resnet-50", "--images", str(toy_cub), "--out",
                 str(tmp_path / "x.pth")]) == 2
    assert main(["pretrain", "simmim", "--arch", "demo-simmim", "--images", str(tmp_path / "none"), "--out",
                 str(tmp_path / "x.pth")]) == 2


def test_demo_test_preset_end_to_end(tmp_path, capsys):
    assert main(["demo", "--preset", "test", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "leaderboard" in out and "[Δ" in out
    rows = [json.loads(p.read_text()) for p in (tmp_path / "demo" / "results").glob("*/*.json")]
    assert len(rows) == 9 and all(r["status"] == "ok" for r in rows)
    assert {r["backbone"] for r in rows} == {"demo-simmim", "demo-supervised", "demo-random"}
    audits = {r["backbone"]: r["load_audit"] for r in rows}
    assert audits["demo-simmim"]["ok"] and audits["demo-supervised"]["ok"] and audits["demo-random"] is None
    import pandas as pd

    board = pd.read_csv(tmp_path / "demo" / "leaderboard.csv")
    assert any(c.endswith("delta_vs_pair") for c in board.columns)
    assert main(["demo", "--preset", "huge"]) == 2
