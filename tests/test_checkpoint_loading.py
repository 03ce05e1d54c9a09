"""Official-layout checkpoints arrive whole in the timm models; the audit catches anything that does not."""
import pytest
import torch

from backbones import BenchError, build_backbone
from backbones.build import build_model
from backbones.checkpoint import read_checkpoint, unwrap_state_dict
from backbones.registry import get_spec
from official_layouts import deit_state, save_plain, save_simmim_container, simmim_vit_state, swin_state

SWIN_B = dict(embed=128, heads=(4, 8, 16, 32))
SWIN_L = dict(embed=192, heads=(6, 12, 24, 48))

CASES = {
    # name: (state factory, saver, expected transforms when built at the native size)
    "simmim-swin-b": (lambda: swin_state(**SWIN_B, img=192, window=6), save_simmim_container),
    "simmim-swin-l": (lambda: swin_state(**SWIN_L, img=192, window=12), save_simmim_container),
    "simmim-swinv2-b": (lambda: swin_state(**SWIN_B, img=192, window=12, v2=True), save_simmim_container),
    "simmim-swinv2-l": (lambda: swin_state(**SWIN_L, img=192, window=12, v2=True), save_simmim_container),
    "simmim-vit-b": (lambda: simmim_vit_state(), save_simmim_container),
    "sup-swin-b": (lambda: swin_state(**SWIN_B, img=224, window=7, simmim=False, num_classes=1000), save_plain),
    "sup-swinv2-b-22k": (lambda: swin_state(**SWIN_B, img=192, window=12, v2=True, simmim=False,
                                            num_classes=21841), save_plain),
    "sup-vit-b": (lambda: deit_state(), save_plain),
}


def _write(name, tmp_path):
    factory, saver = CASES[name]
    state = factory()
    path = tmp_path / f"{name}.pth"
    saver(state, path)
    return state, path


def _assert_every_tensor_arrived(backbone, state):
    """Every loaded tensor equals its checkpoint value (copies and renames compared exactly)."""
    model_sd = backbone.model.state_dict()
    ckpt = unwrap_state_dict({"model": state})
    audit = backbone.load_audit
    assert audit.ok, audit.problems()
    for entry in audit.loaded:
        if entry["transform"] in ("copy", "rename"):
            assert torch.equal(model_sd[entry["model_key"]], ckpt[entry["checkpoint_key"]]), entry
    loaded_keys = {e["checkpoint_key"] for e in audit.loaded}
    dropped = {d["checkpoint_key"]: d["reason"] for d in audit.dropped}
    assert loaded_keys | set(dropped) == set(ckpt)
    assert set(dropped.values()) <= {"simmim-decoder", "mask-token", "classifier-head", "buffer-rebuilt-by-model"}
    assert "norm.weight" in loaded_keys  # the final norm is part of the encoder and is loaded
    assert not audit.missing


@pytest.mark.parametrize("name", list(CASES))
def test_official_layout_loads_completely(name, tmp_path):
    state, path = _write(name, tmp_path)
    backbone = build_backbone(name, weights=str(path))
    _assert_every_tensor_arrived(backbone, state)
    if name.startswith("simmim"):
        reasons = {d["reason"] for d in backbone.load_audit.dropped}
        assert {"simmim-decoder", "mask-token"} <= reasons
    if name.startswith("sup"):
        assert "classifier-head" in {d["reason"] for d in backbone.load_audit.dropped}


def test_simmim_vit_shared_table_copied_to_every_block(tmp_path):
    state, path = _write("simmim-vit-b", tmp_path)
    backbone = build_backbone("simmim-vit-b", weights=str(path))
    shared = state["encoder.rel_pos_bias.relative_position_bias_table"]
    for block in backbone.model.blocks:
        assert torch.equal(block.attn.relative_position_bias_table, shared)
    assert backbone.model.pos_embed is None  # no absolute position embedding, as in SimMIM ViT


def test_swin_window_change_resamples_tables(tmp_path):
    state, path = _write("simmim-swin-b", tmp_path)
    backbone = build_backbone("simmim-swin-b", weights=str(path), img_size=(224, 224), window_size=7)
    transforms = {e["transform"] for e in backbone.load_audit.loaded}
    assert "rpb-resize 11x11->13x13" in transforms
    assert backbone.load_audit.ok


def test_vit_rectangular_grid(tmp_path):
    state, path = _write("simmim-vit-b", tmp_path)
    backbone = build_backbone("simmim-vit-b", weights=str(path), img_size=(256, 192))
    assert "shared-rpb-copy+rpb-resize 27x27->31x23" in {e["transform"] for e in backbone.load_audit.loaded}
    feats = backbone(torch.randn(1, 3, 256, 192))
    assert [tuple(f.shape) for f in feats] == [(1, 768, 16, 12)]
    state, path = _write("sup-vit-b", tmp_path)
    backbone = build_backbone("sup-vit-b", weights=str(path), img_size=(256, 192))
    assert "pos-embed-resize 14x14->16x12" in {e["transform"] for e in backbone.load_audit.loaded}


def test_missing_stage_fails_the_load(tmp_path):
    state = swin_state(**SWIN_B, img=192, window=6)
    state = {k: v for k, v in state.items() if not k.startswith("encoder.layers.2.")}
    path = tmp_path / "broken.pth"
    save_simmim_container(state, path)
    with pytest.raises(BenchError, match="load audit failed.*not-in-checkpoint"):
        build_backbone("simmim-swin-b", weights=str(path))
    backbone = build_backbone("simmim-swin-b", weights=str(path), allow_missing=True)
    missing = {m["model_key"] for m in backbone.load_audit.missing}
    assert any(k.startswith("layers.2.blocks.") for k in missing) and not backbone.load_audit.ok


def test_wrong_architecture_fails(tmp_path):
    state, path = _write("simmim-swin-b", tmp_path)
    with pytest.raises(BenchError, match="load audit failed"):
        build_backbone("simmim-swin-l", weights=str(path))


def test_safetensors_and_bare_containers(tmp_path):
    from safetensors.torch import save_file

    state = deit_state(depth=12)
    path = tmp_path / "deit.safetensors"
    save_file(state, str(path))
    _assert_every_tensor_arrived(build_backbone("sup-vit-b", weights=str(path)), state)
    bare = tmp_path / "bare.bin"
    torch.save({f"module.{k}": v for k, v in state.items()}, bare)
    assert build_backbone("sup-vit-b", weights=str(bare)).load_audit.ok


def test_container_extras_are_not_executed(tmp_path):
    """The SimMIM container (optimizer, scheduler, yacs CfgNode) is read without yacs installed."""
    import importlib.util

    assert importlib.util.find_spec("yacs") is None
    _, path = _write("simmim-swin-b", tmp_path)
    raw = read_checkpoint(path)
    assert raw["epoch"] == 799 and raw["config"]["MODEL"]["TYPE"] == "swin"


class _Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.target}",)


def test_malicious_pickle_is_refused(tmp_path):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"model": {"norm.weight": torch.ones(3)}, "payload": _Evil(sentinel)}, path)
    with pytest.raises(BenchError, match="refusing to load"):
        read_checkpoint(path)
    assert not sentinel.exists()


def test_bad_paths(tmp_path):
    with pytest.raises(BenchError, match="does not exist"):
        read_checkpoint(tmp_path / "nope.pth")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(BenchError, match="suffix"):
        read_checkpoint(tmp_path / "x.txt")
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(BenchError, match="cannot read"):
        read_checkpoint(tmp_path / "garbage.pth")


@pytest.mark.parametrize("name,size,shapes", [
    ("simmim-swin-b", (256, 192), [(128, 64, 48), (256, 32, 24), (512, 16, 12), (1024, 8, 6)]),
    ("simmim-swinv2-b", (224, 224), [(128, 56, 56), (256, 28, 28), (512, 14, 14), (1024, 7, 7)]),
    ("simmim-vit-b", (224, 224), [(768, 14, 14)]),
])
def test_forward_shapes(name, size, shapes):
    backbone = build_backbone(name, img_size=size).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, *size))
    assert [tuple(f.shape[1:]) for f in feats] == shapes
    assert backbone.out_channels == tuple(s[0] for s in shapes)
    assert backbone.out_strides == tuple(size[0] // s[1] for s in shapes)


def test_per_stage_window_is_clipped_and_padded():
    spec = get_spec("simmim-swinv2-b")
    model = build_model(spec, img_size=(480, 480), window_size=(30, 30, 30, 15))
    windows = [stage.blocks[0].window_size for stage in model.layers]
    assert windows == [(30, 30), (30, 30), (30, 30), (15, 15)]  # stage resolutions 120/60/30/15
    with torch.no_grad():
        out = model.forward_intermediates(torch.randn(1, 3, 480, 480), intermediates_only=True)
    assert out[-1].shape[-2:] == (15, 15)


def test_frozen_stages():
    backbone = build_backbone("timm:swin_tiny_patch4_window7_224", img_size=(224, 224), frozen_stages=2)
    frozen = {n for n, p in backbone.named_parameters() if not p.requires_grad}
    assert any(n.startswith("model.layers.1.") for n in frozen)
    assert not any(n.startswith("model.layers.2.") for n in frozen)
    backbone.train()
    assert not backbone.model.layers[0].training and backbone.model.layers[2].training


class _Getattr:
    def __reduce__(self):
        import collections

        return getattr, (collections.OrderedDict, "fromkeys")


def test_getattr_only_on_inert_stand_ins(tmp_path):
    path = tmp_path / "getattr.pth"
    torch.save({"model": {"norm.weight": torch.ones(3)}, "payload": _Getattr()}, path)
    with pytest.raises(BenchError, match="refusing to load .*getattr"):
        read_checkpoint(path)
