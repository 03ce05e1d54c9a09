import http.server
import json
import threading

import pytest
import torch

from backbones import BenchError, build_backbone, get_spec, list_backbones
from backbones.download import fetch_weights
from backbones.registry import add_spec
from backbones.spec import BackboneSpec
from bench.cli import main

REQUIRED = ["simmim-swin-b", "simmim-swin-b-100ep", "simmim-swin-l", "simmim-vit-b", "simmim-swinv2-b",
            "simmim-swinv2-l", "sup-swin-b", "sup-swin-b-22k", "sup-swinv2-b", "sup-swinv2-b-22k", "sup-vit-b"]


def test_required_backbones_registered_and_paired():
    names = list_backbones()
    assert set(REQUIRED) <= set(names)
    for name in names:
        spec = get_spec(name)
        assert (spec.urls or name not in REQUIRED) and spec.mean and spec.std and spec.family
        if spec.pair_with:
            partner = get_spec(spec.pair_with)
            assert partner.family == spec.family and partner.pretraining != spec.pretraining
    assert get_spec("simmim-swinv2-b").pretrained_window_sizes == (12, 12, 12, 6)
    assert get_spec("simmim-vit-b").arch == "beit"


def test_unknown_backbone_lists_known():
    with pytest.raises(BenchError, match="unknown backbone 'simmim-swin-bb'.*Did you mean simmim-swin-b.*sup-vit-b"):
        get_spec("simmim-swin-bb")
    with pytest.raises(BenchError, match="unknown timm model"):
        get_spec("timm:no_such_model_xyz")


def test_timm_any_model():
    backbone = build_backbone("timm:vit_tiny_patch16_224", img_size=(64, 64))
    feats = backbone(torch.randn(2, 3, 64, 64))
    assert len(feats) == 1 and feats[0].shape == (2, 192, 4, 4) and backbone.out_strides == (16,)


class _Handler(http.server.SimpleHTTPRequestHandler):
    hits = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _Handler.hits.append(self.path)
        super().do_GET()


@pytest.fixture
def http_dir(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: _Handler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.hits.clear()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_auto_weights_download_cache_and_checksum(http_dir, tmp_path):
    root, url = http_dir
    from safetensors.torch import save_file

    model = build_backbone("timm:vit_tiny_patch16_224", img_size=(32, 32)).model
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(root / "tiny.safetensors"))
    spec = add_spec(BackboneSpec(name="test-local-tiny", arch="timm", builder="backbones.timm_any:build",
                                 arch_kwargs={"model_name": "vit_tiny_patch16_224"}, img_size=(32, 32),
                                 urls=(f"{url}/tiny.safetensors",)))
    path = fetch_weights(spec)
    assert len(_Handler.hits) == 1 and path.exists()
    backbone = build_backbone("test-local-tiny", weights="auto")
    assert backbone.load_audit.ok and len(_Handler.hits) == 1  # second use: cache hit
    path.write_bytes(path.read_bytes()[:-1] + b"x")  # the cached file changes
    with pytest.raises(BenchError, match="sha256 .* was recorded"):
        fetch_weights(spec)
    pinned = BackboneSpec(name="test-local-pinned", arch="timm", builder="backbones.timm_any:build",
                          urls=(f"{url}/tiny.safetensors",), sha256="0" * 64)
    with pytest.raises(BenchError, match="refusing it"):
        fetch_weights(pinned)
    assert not list((tmp_path / "home" / "weights" / "test-local-pinned").glob("*"))  # no partial file left
    offline = BackboneSpec(name="test-offline", arch="timm", builder="backbones.timm_any:build",
                           urls=(f"{url}/missing.pth",))
    with pytest.raises(BenchError, match="--weights PATH"):
        fetch_weights(offline)


def test_cli_list_show_verify(tmp_path, capsys):
    from official_layouts import save_simmim_container, swin_state

    assert main(["backbones", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {d["name"] for d in listed} >= set(REQUIRED)
    assert main(["backbones", "show", "simmim-swinv2-b"]) == 0
    assert "pretrained_window_sizes" in capsys.readouterr().out
    assert main(["backbones", "show", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown backbone 'nope'. Known: " in err and "simmim-swin-b" in err

    path = tmp_path / "simmim.pth"
    save_simmim_container(swin_state(img=192, window=6), path)
    assert main(["backbones", "verify", "simmim-swin-b", "--weights", str(path), "--img-size", "224", "224",
                 "--window", "7", "--json"]) == 0
    audit = json.loads(capsys.readouterr().out)
    assert {"checkpoint_sha256", "n_checkpoint_tensors", "loaded", "dropped", "missing"} <= set(audit)
    assert any(e["transform"] == "rpb-resize 11x11->13x13" for e in audit["loaded"])
    assert main(["backbones", "verify", "simmim-swin-l", "--weights", str(path)]) == 1
    assert "audit        FAIL" in capsys.readouterr().out


def test_plugin_include(tmp_path, capsys):
    plugin = tmp_path / "my_backbones.py"
    plugin.write_text(
        "import timm\n"
        "from backbones import register_backbone\n\n"
        "@register_backbone('my-vit-tiny', pretraining='supervised', pretrain_data='my-data', img_size=(64, 64))\n"
        "def my_vit_tiny(img_size, drop_path_rate=0.0):\n"
        "    return timm.create_model('vit_tiny_patch16_224', num_classes=0, img_size=img_size,\n"
        "                             drop_path_rate=drop_path_rate)\n")
    assert main(["--include", str(plugin), "backbones", "show", "my-vit-tiny", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pretrain_data"] == "my-data"
    feats = build_backbone("my-vit-tiny")(torch.randn(1, 3, 64, 64))
    assert feats[0].shape == (1, 192, 4, 4)
    assert main(["--include", str(tmp_path / "missing.py"), "backbones", "list"]) == 2


def test_entry_point_plugins(tmp_path, monkeypatch):
    """Packages register backbones through the `transfer_bench.backbones` entry-point group (an installed
    distribution's entry_points.txt, found on sys.path)."""
    import sys

    import backbones.registry as registry

    (tmp_path / "ep_plugin.py").write_text(
        "import timm\n"
        "from backbones import register_backbone\n\n"
        "@register_backbone('ep-vit-tiny', img_size=(32, 32))\n"
        "def build(img_size, drop_path_rate=0.0):\n"
        "    return timm.create_model('vit_tiny_patch16_224', num_classes=0, img_size=img_size)\n")
    dist = tmp_path / "ep_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{registry.ENTRY_POINT_GROUP}]\nep = ep_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry.BACKBONES, "_loaded", False)  # load entry points again, with the new one
    assert "ep-vit-tiny" in list_backbones()
    assert build_backbone("ep-vit-tiny")(torch.randn(1, 3, 32, 32))[0].shape == (1, 192, 2, 2)
    sys.modules.pop("ep_plugin", None)
