# `toy` protocol: SwinTrack-T shrunk for CPU checks on `bench data toy` sequences: template 48, search 96, 128-d tokens,
# one encoder and one decoder layer, 12 epochs of 512 pairs at batch 4, LR 5e-4 for the whole model (warmup 20
# iterations, x 0.1 at 70 % of the epochs as SwinTrack), frame gaps up to 10, no colour jitter (toy objects differ
# by their colours; grey scale stays at p 0.05), and the box as distances from each
# token's cell (`box_encoding='ltrb'`): with a randomly initialised backbone SwinTrack's absolute cx cy w h box does
# not start to localise within a CPU budget (GIoU loss flat over 256 steps), the distances do. Rows say
# protocol=toy.
_base_ = ['./swintrack.py']

bench = dict(protocol='toy', schedules=dict(full=12, smoke=1), template_size=48, search_size=96)
model = dict(backbone=dict(drop_path_rate=0.0), dim=128, encoder_depth=1, decoder_depth=1, heads=4,
             box_encoding='ltrb')
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(samples_per_epoch=512, max_gap=10, color_jitter=0.0))
optim_wrapper = dict(optimizer=dict(lr=5e-4), clip_grad=dict(max_norm=1.0),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)}))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
                   dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)]
default_hooks = dict(logger=dict(interval=10))
