# SwinTrack-style training and one-pass evaluation on mmengine. Template 112x112 (2 x sqrt(wh) around the box),
# search 224x224 (4 x sqrt(wh), scale jitter 0.25, centre jitter 3), pairs up to 100 frames apart, horizontal flip;
# the backbone's stride-16 level (Swin stage 3 / plain ViT) -> 512-d tokens -> 4-layer transformer encoder over
# [template; search] -> IoU-aware (varifocal) score and ltrb box per search token, GIoU + L1. AdamW 5e-4, wd 1e-4,
# backbone LR x 0.1, 300 epochs of 131072 pairs at batch 32, LR x 0.1 at epoch 210. Inference: Hanning window
# influence 0.49. bench/tasks/tracking.py fills the backbone, the sizes and the data.
_base_ = ['../_base_/mmengine_runtime.py']
bench = dict(protocol='swintrack', schedules=dict(full=300, smoke=1), template_size=112, search_size=224,
             template_factor=2.0, search_factor=4.0, window_influence=0.49)

model = dict(type='SiameseTracker', backbone=dict(name=None, weights=None, img_size=None, out_indices=None,
                                                  dynamic_img_size=True, drop_path_rate=0.1),
             dim=512, depth=4, heads=8, loss_weights=(1.0, 2.0, 5.0))
train_dataloader = dict(
    batch_size=32, num_workers=8, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='tracking_collate'),
    dataset=dict(type='TrackingPairs', dataset=None, data_root=None, samples_per_epoch=131072, max_gap=100,
                 scale_jitter=0.25, center_jitter=3.0, flip=True))
# a hierarchical backbone's stages after the stride-16 one take no part: DDP must not wait for their gradients
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1000000)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4), clip_grad=dict(max_norm=0.1),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[210], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=50))
