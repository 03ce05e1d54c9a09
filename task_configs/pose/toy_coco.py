# `toy` protocol: the vitpose recipe shrunk for CPU checks on `bench data toy` data (128x96 input, 32x24 UDP
# heatmaps, constant LR after a short warmup). Its rows carry protocol=toy, so they never mix with real ones.
_base_ = ['./vitpose_coco.py']

bench = dict(protocol='toy', deconv_channels=dict(_delete_=True, default=64), deconv_kernel=4, schedules=dict(full=30, smoke=2), lr_scaling=None,
             drop_path=dict(_delete_=True, default=0.0), window=None,
             layer_decay=dict(_delete_=True, default=dict(rate=1.0, rule=None)))

codec = dict(type='UDPHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=1.5)
model = dict(backbone=dict(img_size=(128, 96)),
             head=dict(deconv_out_channels=(64, 64), decoder=codec))
train_cfg = dict(max_epochs=30)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', begin=0, end=20, start_factor=0.1, by_epoch=False)]
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_factor=20.0),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False, dataset=dict(pipeline=val_pipeline))
