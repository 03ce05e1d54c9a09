# ADE20K semantic segmentation, UperNet, the standard 512x512 160k-iteration protocol on mmseg 1.2.2's own ADE20K /
# UperNet / schedule / runtime configs. The backbone is any registry backbone (TransferBackbone); bench/tasks/
# segmentation/task.py feeds UperHead with a hierarchical backbone's stages at strides 4-32 (each with its own
# LayerNorm, as mmseg's Swin), or puts the simple feature pyramid (bench/tasks/shared/pyramid.py) on a plain ViT's
# stride-16 map. Swin / SwinV2 follow mmseg's Swin recipe (configs/swin/swin-tiny-patch4-window7-in1k-pre_upernet_
# 8xb2-160k_ade20k-512x512.py): AdamW 6e-5, wd 0.01, no layer decay, drop path 0.3, window 7; a plain ViT follows
# mmseg's MAE recipe (configs/mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py): AdamW 1e-4, wd 0.05, layer
# decay 0.65, drop path 0.1. Both: batch 16 (8 GPUs x 2, linear scaling), 1500-iter linear warmup then poly decay
# (power 1), auxiliary FCN head (weight 0.4). Evaluation: sliding 512 windows, single scale and multi-scale
# (0.5-1.75) + flip, mIoU / aAcc / mAcc from mmseg's IoUMetric. Settings and sources: upernet.recipe.py.
_base_ = [
    'mmseg::_base_/models/upernet_swin.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
]
bench = dict(protocol='upernet', schedules=dict(full=160000, smoke=100), lr_scaling=dict(base_batch=16, rule='linear'),
             drop_path=dict(default=0.3, vit=0.1), window=dict(default=None, swin=(7, 7, 7, 7), swinv2=(12, 12, 12, 6)),
             optimizer=dict(default=dict(lr=6e-5, weight_decay=0.01), vit=dict(lr=1e-4, weight_decay=0.05)),
             layer_decay=dict(default=dict(rate=1.0, rule=None), vit=dict(rate=0.65, rule='vitpose')))
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size, test_cfg=dict(size=crop_size)),
    backbone=dict(_delete_=True, type='TransferBackbone', name=None, weights=None, img_size=crop_size,
                  out_norms=True),
    decode_head=dict(in_channels=None, num_classes=150),
    auxiliary_head=dict(in_channels=None, num_classes=150),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))
data_root = None
train_dataloader = dict(batch_size=16, num_workers=4,
                        dataset=dict(data_root=None, data_prefix=dict(img_path='images/training',
                                                                      seg_map_path='annotations/training')))
test_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ADE20KDataset', data_root=None, pipeline={{_base_.test_pipeline}},
                 data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation')))
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], output_dir=None)
val_dataloader = None
val_evaluator = None
val_cfg = None
# single scale, then scales 0.5-1.75 x flip (bench/tasks/segmentation/loops.py)
test_cfg = dict(type='MultiScaleFlipTestLoop')
train_cfg = dict(type='IterBasedTrainLoop', max_iters=160000, val_interval=10**9)
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
                     constructor='LayerDecayConstructor', paramwise_cfg=dict())
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False),
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=16000, max_keep_ckpts=1))
