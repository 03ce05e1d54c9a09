# `toy` protocol: swintrack shrunk for CPU checks on `bench data toy` sequences (template 48, search 96, 128-d
# tokens, one fusion layer, 512 pairs per epoch at batch 16, LR 1e-3 for the whole model, gaps up to 10 frames).
# Rows say protocol=toy.
_base_ = ['./swintrack.py']

bench = dict(protocol='toy', schedules=dict(full=12, smoke=1), template_size=48, search_size=96)
model = dict(backbone=dict(drop_path_rate=0.0), dim=128, depth=1, heads=4)
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        dataset=dict(samples_per_epoch=512, max_gap=10))
optim_wrapper = dict(optimizer=dict(lr=1e-3), clip_grad=dict(max_norm=1.0),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)}))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)]
default_hooks = dict(logger=dict(interval=10))
