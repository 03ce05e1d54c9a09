# Mask R-CNN, standard 1x schedule (12 epochs, steps at 8 and 11, 500-iter warmup), built on mmdet 3.3.0's own
# model / dataset / schedule configs. The backbone is any registry backbone (TransferBackbone); bench/tasks/
# detection.py picks the neck from its feature strides: FPN over Swin/SwinV2 stages (strides 4-32) or ViTDet's
# SimpleFPN over a plain ViT's stride-16 map. AdamW 1e-4, wd 0.05, layer decay 0.9, drop path 0.2 (Swin
# detection recipe); input 1333x800 with flip.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
bench = dict(protocol='maskrcnn_1x', schedules=dict(full=12, smoke=1), drop_path_rate=0.2, layer_decay=0.9)

model = dict(
    backbone=dict(_delete_=True, type='TransferBackbone', name=None, weights=None, img_size=(800, 1333),
                  drop_path_rate=0.2),
    neck=dict(in_channels=None))
data_root = None
train_dataloader = dict(batch_size=2, num_workers=2)
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CocoDataset', data_root=None, ann_file='annotations/instances_val2017.json',
                 data_prefix=dict(img='val2017/'), test_mode=True,
                 pipeline=[
                     dict(type='LoadImageFromFile'),
                     dict(type='Resize', scale=(1333, 800), keep_ratio=True),
                     dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
                     dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                                           'scale_factor'))]))
test_evaluator = dict(type='CocoMetric', ann_file=None, metric=['bbox', 'segm'], format_only=False,
                      outfile_prefix=None)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1000000)
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
                     constructor='LayerDecayConstructor', paramwise_cfg=dict(layer_decay_rate=0.9))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
                     logger=dict(type='LoggerHook', interval=20))
