# Mask R-CNN, standard 1x schedule (12 epochs, steps at 8 and 11), built on mmdet 3.3.0's own model / dataset /
# schedule configs. The backbone is any registry backbone (TransferBackbone); bench/tasks/detection/task.py picks the
# neck from its feature strides: FPN over Swin/SwinV2 stages (strides 4-32) or ViTDet's SimpleFPN over a plain ViT's
# stride-16 map. Swin / SwinV2 follow mmdet's Swin recipe (configs/swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py):
# AdamW 1e-4 at global batch 16 (8 GPUs x 2, linear scaling: schedule_1x auto_scale_lr base 16), wd 0.05, no layer
# decay, drop path 0.2, window 7, 1000-iter warmup. A plain ViT takes ViTDet's optimisation (projects/ViTDet
# lsj-100e_coco-instance.py: layer decay 0.7, wd 0.1, drop path 0.1). Input 1333x800 with flip. Settings and
# sources: maskrcnn_1x.recipe.py.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
bench = dict(protocol='maskrcnn_1x', schedules=dict(full=12, smoke=1),
             lr_scaling=dict(default=dict(base_batch=16, rule='linear'), vit=dict(base_batch=64, rule='linear')),
             drop_path=dict(default=0.2, vit=0.1), window=dict(default=None, swin=(7, 7, 7, 7), swinv2=(12, 12, 12, 6)),
             optimizer=dict(default=dict(weight_decay=0.05), vit=dict(weight_decay=0.1)),
             layer_decay=dict(default=dict(rate=1.0, rule=None), vit=dict(rate=0.7, rule='vitpose')))

model = dict(
    backbone=dict(_delete_=True, type='TransferBackbone', name=None, weights=None, img_size=(800, 1333)),
    neck=dict(in_channels=None))
data_root = None
train_dataloader = dict(batch_size=16, num_workers=2)
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
                     constructor='LayerDecayConstructor', paramwise_cfg=dict())
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
                     logger=dict(type='LoggerHook', interval=20))
