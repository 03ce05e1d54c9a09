# `toy` protocol: glp shrunk for CPU checks on `bench data toy` data: the backbone built for 96x128, random 96x128
# training crops (the whole image at the toy size), flip; evaluation by flip + sliding 96x128 windows at stride 64x96
# (one window on a toy image; any larger image, e.g. a real 640x480 frame, is covered by overlapping windows, as
# glp's own test); LR 1e-3 after a short warmup, no evaluation crop, no CutDepth / photometric jitter, ImageNet
# mean/std. Rows say protocol=toy.
_base_ = ['./glp_nyu.py']

bench = dict(protocol='toy', schedules=dict(full=20, smoke=2), window=None, crop=(96, 128), normalise=True,
             head_width=dict(_delete_=True, default=32), layer_decay=dict(_delete_=True, default=dict(rate=1.0, rule=None)))
model = dict(backbone=dict(img_size=(96, 128)),
             test_cfg=dict(_delete_=True, mode='slide_flip', crop_size=(96, 128), stride=(64, 96)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(96, 128)),
    dict(type='PackSegInputs', meta_keys=('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'category_id')),
]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False)
test_evaluator = dict(crop=None)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10)]
