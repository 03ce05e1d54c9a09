# SimMIM pre-training (microsoft/SimMIM, 100-epoch recipe): AdamW (0.9, 0.999), wd 0.05, grad clip 5, base LR 2e-4
# and min LR 1e-5 scaled by batch/512, 10 % of the epochs linear warmup then cosine; RandomResizedCrop(0.67-1,
# 3/4-4/3) + flip; mask 32-px patches at ratio 0.6. `bench pretrain simmim` fills in the encoder, images and sizes.
_base_ = ['../_base_/mmengine_runtime.py']
bench = dict(base_lr=2e-4, min_lr=1e-5, warmup_fraction=0.1)
model = dict(type='SimMIM', backbone=None, img_size=(192, 192), drop_path_rate=0.0)
train_dataloader = dict(
    batch_size=128, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ImageFolderForMIM', data_root=None, img_size=(192, 192), mask_patch=32, model_patch=4,
                 mask_ratio=0.6, mean=None, std=None))
train_cfg = dict(by_epoch=True, max_epochs=100)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'mask_token': dict(decay_mult=0.0), 'cls_token': dict(decay_mult=0.0),
                                    'relative_position_bias_table': dict(decay_mult=0.0),
                                    'absolute_pos_embed': dict(decay_mult=0.0), 'pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=10, end=100, T_max=90, eta_min=1e-5,
         convert_to_iter_based=True),
]
custom_hooks = [dict(type='ThroughputHook')]
