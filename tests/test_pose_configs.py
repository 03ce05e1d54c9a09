"""Every shipped full-size pose config builds and runs one forward/backward at its real input size, batch 1."""
import pytest
import torch

from cli_run import resolved_config

CASES = [("vitpose", "coco", "simmim-vit-b", (256, 192)), ("pct", "coco", "simmim-swinv2-b", (256, 256)),
         ("vitpose", "crowdpose", "sup-swin-b", (256, 192)), ("pct", "crowdpose", "simmim-swin-b", (256, 256))]


@pytest.fixture(scope="module")
def toy_crowdpose(tmp_path_factory):
    from bench.tasks.pose.toy import write_toy_pose

    return write_toy_pose(tmp_path_factory.mktemp("cp") / "crowdpose", "crowdpose", n_train=2, n_val=2)


@pytest.mark.parametrize("protocol,dataset,backbone,size", CASES)
def test_full_config_one_step(protocol, dataset, backbone, size, toy_pose, toy_crowdpose, tmp_path):
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, MODELS

    root = toy_pose if dataset == "coco" else toy_crowdpose
    cfg = resolved_config("pose", root, tmp_path, backbone=backbone, dataset=dataset, protocol=protocol)
    init_default_scope("mmpose")
    assert tuple(cfg.model.backbone.img_size) == size
    model = MODELS.build(cfg.model)
    model.train()
    dataset_cfg = cfg.train_dataloader.dataset
    ds = DATASETS.build(dataset_cfg)
    batch = model.data_preprocessor(pseudo_collate([ds[0]]), training=True)
    assert tuple(batch["inputs"].shape[-2:]) == size
    losses = model(**batch, mode="loss")
    loss = sum(v for k, v in losses.items() if k.startswith("loss"))
    loss.backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert all(g is not None for g in grads) and torch.isfinite(loss)
    heatmap = cfg.codec["heatmap_size"]
    assert model.head(model.extract_feat(batch["inputs"])).shape[-2:] == (heatmap[1], heatmap[0])
