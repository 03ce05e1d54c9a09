"""The recipe audit: every paper protocol resolved for every backbone family matches its published settings except
where the protocol declares why; every LR schedule keeps layer decay; layer ids follow each recipe's rule;
`bench protocols show` and the row / leaderboard carry the audit; SimMIM SwinV2 files (`rpe_mlp`) load."""
import json

import pytest
import torch

from bench.cli import main
from bench.run.spec import RunSpec
from bench.tasks import get_task
from bench.tasks.base import read_once

FAMILIES = ("simmim-swin-b", "simmim-swinv2-b", "simmim-vit-b")
PAPER = [("pose", "coco", p) for p in ("vitpose", "pct")] + [("depth", d, "glp") for d in ("nyu", "kitti")] + \
    [("detection", "coco", p) for p in ("maskrcnn_1x", "maskrcnn_3x", "cascade_1x", "lsj_1x")] + \
    [("segmentation", "ade20k", "upernet"), ("tracking", "got10k", "swintrack"),
     ("tracking", "got10k", "swintrack_tiny"), ("classification", "cub", "finetune"),
     ("classification", "cub", "linear")]


@pytest.fixture(scope="module")
def toy_roots(tmp_path_factory):
    """One tiny toy data root per (task, dataset), and a person-detections file for pose."""
    roots = {}
    for task, dataset in sorted({(t, d) for t, d, _ in PAPER}):
        root = tmp_path_factory.mktemp(task) / dataset
        get_task(task).dataset(dataset).write_toy(root, 4, 2, 0)
        roots[task, dataset] = root
    val = json.loads((roots["pose", "coco"] / "annotations" / "person_keypoints_val2017.json").read_text())
    dets = [{"image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"], "score": 0.9}
            for a in val["annotations"]]
    roots["bbox_file"] = roots["pose", "coco"].parent / "dets.json"
    roots["bbox_file"].write_text(json.dumps(dets))
    return roots


def _resolve(task, dataset, protocol, backbone, roots, tmp_path, **kw):
    spec = RunSpec(backbone=backbone, task=task, dataset=dataset, protocol=protocol, device="cpu",
                   data_root=str(roots[task, dataset]), allow_missing=True, work_dir=str(tmp_path / "w"),
                   bbox_file=str(roots["bbox_file"]) if task == "pose" else None, **kw)
    with read_once():
        return get_task(task).resolve(spec)


@pytest.mark.parametrize("task,dataset,protocol", PAPER)
def test_paper_protocols_have_no_undeclared_deviation(task, dataset, protocol, toy_roots, tmp_path):
    extra = ("simmim-swinv2-l",) if protocol in ("pct", "glp") else ()  # the L-sized values of these recipes
    for backbone in FAMILIES + extra:
        audit = _resolve(task, dataset, protocol, backbone, toy_roots, tmp_path).recipe_audit
        assert audit is not None and audit["kind"] in ("paper", "harness"), (task, protocol)
        assert audit["undeclared"] == [], (backbone, [d for d in audit["deviations"]])
        assert not audit["deviations"], (backbone, audit["deviations"])


def test_shortened_runs_deviate_as_asked(toy_roots, tmp_path):
    audit = _resolve("pose", "coco", "vitpose", "simmim-vit-b", toy_roots, tmp_path, batch_size=8,
                     epochs=1).recipe_audit
    assert {d["setting"] for d in audit["deviations"]} == {"global_batch", "schedule"}
    assert all(d["reason"] == "asked for by the run" for d in audit["deviations"])
    base_lr = next(r for r in audit["settings"] if r["setting"] == "base_lr")
    assert base_lr["status"] == "ok"  # 5e-4 x 8 / 512, taken back to the published batch by the linear rule
    toy = _resolve("pose", "coco", "toy", "demo-random", toy_roots, tmp_path).recipe_audit
    assert toy["kind"] == "toy" and toy["of"] == "vitpose" and toy["undeclared"] == []
    assert all(d["reason"] == "toy protocol: deviates by design" for d in toy["deviations"])
    gt = get_task("pose").resolve(RunSpec(backbone="simmim-vit-b", task="pose", dataset="coco", device="cpu",
                                          data_root=str(toy_roots["pose", "coco"]), allow_missing=True,
                                          work_dir=str(tmp_path / "g"))).recipe_audit
    (evaluation,) = gt["deviations"]
    assert evaluation["setting"] == "evaluation" and "no --bbox-file" in evaluation["reason"]


def _ratio_of_groups(resolved, steps=7):
    """Per parameter group: its LR / the top group's LR after `steps` scheduler steps, and its lr_scale."""
    from mmengine.runner import Runner

    cfg = resolved.cfg
    cfg.work_dir = str(resolved.work_dir)
    runner = Runner.from_cfg(cfg)
    wrapper = runner.optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    schedulers = runner.build_param_scheduler(cfg.param_scheduler)
    for _ in range(steps):
        for s in schedulers:
            s.step()
    groups = wrapper.optimizer.param_groups
    top = max(g["lr_scale"] for g in groups)
    ref = next(g["lr"] for g in groups if g["lr_scale"] == top)
    return [(g["lr"] / ref, g["lr_scale"] / top) for g in groups]


@pytest.mark.parametrize("task,dataset,protocol", [p for p in PAPER if p[2] not in ("linear", "swintrack",
                                                                                    "swintrack_tiny")])
def test_schedules_keep_layer_decay(task, dataset, protocol, toy_roots, tmp_path):
    """After several steps of the protocol's schedule the LR ratio between groups is their layer-decay ratio
    (mmengine's OneCycleLR made it 1; SwinTrack uses no layer decay)."""
    resolved = _resolve(task, dataset, protocol, "demo-simmim", toy_roots, tmp_path,
                        cfg_options={"optim_wrapper.paramwise_cfg.layer_decay_rate": 0.8})
    pairs = _ratio_of_groups(resolved)
    assert len({round(scale, 9) for _, scale in pairs}) > 2
    for ratio, scale in pairs:
        assert ratio == pytest.approx(scale, rel=1e-6)


def test_layer_ids_follow_each_recipe():
    from backbones import build_backbone
    from backbones.layer_decay import layer_ids

    swinv2 = build_backbone("simmim-swinv2-b", img_size=(64, 64)).model  # depths 2, 2, 18, 2
    ids, top = layer_ids(swinv2, "glp")
    assert top == 28 and len(set(ids.values()) | {top}) == 29  # MIM-Depth-Estimation / PCT: 29 levels
    assert ids["layers.1.downsample.reduction.weight"] == 3  # the merging that ends stage 0 is a layer of its own
    assert ids["layers.1.blocks.0.attn.qkv.weight"] == 4
    ids, top = layer_ids(swinv2, "simmim")
    assert top == 25 and ids["layers.1.downsample.reduction.weight"] == 2  # shares stage 0's last block
    vit = build_backbone("simmim-vit-b", img_size=(32, 32)).model
    ids, top = layer_ids(vit, "vitpose")
    assert (top, ids["patch_embed.proj.weight"], ids["blocks.11.mlp.fc2.bias"], ids["norm.weight"]) == (13, 0, 12, 13)
    convnext = build_backbone("timm:convnext_atto", img_size=(64, 64)).model
    ids, top = layer_ids(convnext, "timm")
    assert ids["stem.0.weight"] == 0 and top == max(ids.values()) + 1 and len(set(ids.values())) > 10


def test_protocols_cli(capsys):
    assert main(["protocols", "show", "pose", "vitpose", "--backbone", "simmim-swinv2-b"]) == 0
    out = capsys.readouterr().out
    assert "layer_decay_rule  ok        published glp" in out
    assert "window            intended  published not published" in out
    assert "evaluation        DEVIATES  published flip test, detected person boxes" in out
    assert main(["protocols", "show", "pretrain", "--backbone", "swinv2-b", "--json"]) == 0
    audit = json.loads(capsys.readouterr().out)
    assert audit["undeclared"] == [] and {r["setting"]: r["published"] for r in audit["settings"]}["norm_target"] == 47
    assert main(["protocols", "list", "depth"]) == 0
    assert "depth           glp             paper" in capsys.readouterr().out
    assert main(["protocols", "show", "pose", "nope", "--backbone", "demo-random"]) == 2


def test_simmim_swinv2_release_layout_loads_clean(tmp_path, capsys):
    """SimMIM's released SwinV2 files name the position-bias MLP `rpe_mlp`."""
    from official_layouts import swin_state

    state = swin_state(v2=True, window=12, simmim=True)
    assert any(".attn.rpe_mlp." in k for k in state)
    path = tmp_path / "swinv2_base_1k_500k.pth"
    torch.save({"model": state}, path)
    assert main(["backbones", "verify", "simmim-swinv2-b", "--weights", str(path)]) == 0
    out = capsys.readouterr().out
    assert "audit        PASS" in out and "PROBLEM" not in out
