# `pct` protocol: the SimMIM-SwinV2 heatmap baseline of Gengzigang/PCT (configs/hmp_base.py), the closest public
# config to the seed paper's unpublished pose setup: 256x256 input, 64x64 heatmaps, last backbone stage only,
# tiny head 3x [deconv(k2, 32 ch)] + 1x1 conv, AdamW 5e-4, wd 0.05, layer decay 0.9, cosine schedule with a
# 500-iter warmup, 150 epochs, drop path 0.3, SwinV2 windows 16,16,16,8 (pretrained 12,12,12,6), flip test.
_base_ = ['./vitpose_coco.py']

bench = dict(protocol='pct', deconv_channels=32, deconv_kernel=2, window=(16, 16, 16, 8), drop_path_rate=0.3,
             schedules=dict(full=150, smoke=1))

codec = dict(type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
model = dict(
    backbone=dict(img_size=(256, 256)),
    head=dict(deconv_out_channels=(32, 32, 32), deconv_kernel_sizes=(2, 2, 2), decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
train_cfg = dict(max_epochs=150)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
                     paramwise_cfg=dict(layer_decay_rate=0.9), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=150, T_max=150, eta_min=0.0, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=256)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
