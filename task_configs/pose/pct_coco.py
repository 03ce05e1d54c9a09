# `pct` protocol: the SimMIM-SwinV2 heatmap baseline of Gengzigang/PCT (configs/hmp_base.py, hmp_large.py), the
# closest public config to the seed paper's unpublished pose setup: 256x256 input, 64x64 heatmaps, last backbone
# stage only, tiny head 3x [deconv(k2, 32 ch; 48 for L)] + 1x1 conv, AdamW 5e-4 (3.33e-4 for L) at global batch
# 256 (8 GPUs x 32), wd 0.05 (0.0625 for L), layer decay 0.9 with patch merging as its own layer
# (utils/optimzer_ld.py), cosine schedule to 1e-5 x the LR after a 500-iter warmup, 150 epochs, drop path 0.3 (0.5
# for L), SwinV2 windows 16,16,16,8 (pretrained 12,12,12,6), ColorJitter + GridDropout after the crop, flip test
# with shifted heatmaps. Published settings and their sources: pct.recipe.py.
_base_ = ['./vitpose_coco.py']

bench = dict(protocol='pct', deconv_channels=dict(default=32, **{'swinv2-l': 48, 'swin-l': 48}), deconv_kernel=2,
             schedules=dict(full=150, smoke=1), lr_scaling=dict(base_batch=256, rule='linear'),
             drop_path=dict(_delete_=True, default=0.3, **{'swinv2-l': 0.5, 'swin-l': 0.5}),
             window=dict(_delete_=True, default=None, swin=(16, 16, 16, 8), swinv2=(16, 16, 16, 8)),
             layer_decay=dict(_delete_=True, default=dict(rate=0.9, rule='glp'), vit=dict(rate=0.9, rule='vitpose')),
             optimizer={'default': {}, 'swinv2-l': dict(lr=3.33e-4, weight_decay=0.0625),
                        'swin-l': dict(lr=3.33e-4, weight_decay=0.0625)})

codec = dict(type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
model = dict(
    backbone=dict(img_size=(256, 256)),
    head=dict(deconv_out_channels=(32, 32, 32), deconv_kernel_sizes=(2, 2, 2), decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
train_cfg = dict(max_epochs=150)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=150, T_max=150, eta_min_ratio=1e-5, by_epoch=True),
]

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PhotoColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2, p=1.0),
    dict(type='GridDropout', unit_size_min=10, unit_size_max=40, random_offset=True, p=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
