# `toy` protocol: upernet shrunk for CPU checks on `bench data toy` scenes (128x128 images used whole, random flip,
# narrow heads, LR 1e-3 after a short warmup, no layer decay, 128 sliding windows; multi-scale + flip evaluation
# kept). Rows say protocol=toy.
_base_ = ['./upernet.py']

bench = dict(protocol='toy', schedules=dict(full=300, smoke=10), lr_scaling=None, drop_path=dict(_delete_=True, default=0.0),
             window=None, optimizer=None, layer_decay=dict(_delete_=True, default=dict(rate=1.0, rule=None)))
crop_size = (128, 128)
model = dict(data_preprocessor=dict(size=crop_size, test_cfg=dict(size=crop_size)), backbone=dict(img_size=crop_size),
             decode_head=dict(channels=64), auxiliary_head=dict(channels=32),
             test_cfg=dict(crop_size=crop_size, stride=(85, 85)))
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomCrop', crop_size=crop_size),  # images of other sizes: crops of the model's size (padded up)
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]))
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
                   dict(type='PolyLR', eta_min=0.0, power=1.0, begin=20, end=300, by_epoch=False)]
