# `toy` protocol: finetune shrunk for CPU checks on `bench data toy` data (64x64 by default, LR 1e-3 with a short
# warmup, mild crops, no RandAugment so the fine detail that defines a class stays visible). Rows say protocol=toy.
_base_ = ['./finetune.py']

bench = dict(protocol='toy', schedules=dict(full=15, smoke=2), img_size=(64, 64), lr_scaling=None, window=None,
             drop_path=dict(_delete_=True, default=0.0), layer_decay=dict(_delete_=True, default=dict(rate=1.0, rule=None)))
model = dict(label_smoothing=0.0, mixup=0.0, cutmix=0.0, reprob=0.0)
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        dataset=dict(augment=dict(scale=(0.7, 1.0), rand_augment=False)))
test_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10)]
