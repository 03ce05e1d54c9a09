# SwinTrack-B (LitingLin/SwinTrack config/SwinTrack/Base/config.yaml + runs.yaml) on mmengine: template 112x112 and
# search 224x224 crops (SiamFC area factors 2 and 4; search scale jitter 0.25 per axis, centre jitter 3), frame pairs
# up to 100 frames apart, grey scale p 0.05, ColorJitter(0.4, 0.4, 0.4), no flip; the backbone's stride-16 level
# (Swin stage 3 / plain ViT) -> 512-d tokens -> 8 concatenation-fusion encoder layers + 1 decoder layer, 8 heads ->
# varifocal IoU-aware score (weight 1.5) and sigmoid cx cy w h box (GIoU weight 1.5); AdamW 5e-4, wd 1e-4, backbone
# LR x 0.1, grad clip 0.1, 300 epochs of 131072 pairs at batch 64 (per GPU in the official code), warmup over the
# first 1 % of iterations, LR x 0.1 at 70 % (epoch 210). Inference: Hanning window influence 0.49.
# bench/tasks/tracking.py fills the backbone, the sizes and the data.
_base_ = ['../_base_/mmengine_runtime.py']
bench = dict(protocol='swintrack', schedules=dict(full=300, smoke=1), template_size=112, search_size=224,
             template_factor=2.0, search_factor=4.0, window_influence=0.49)

model = dict(type='SiameseTracker', backbone=dict(name=None, weights=None, img_size=None, out_indices=None,
                                                  dynamic_img_size=True, drop_path_rate=0.2),
             dim=512, encoder_depth=8, decoder_depth=1, heads=8, loss_weights=(1.5, 1.5), varifocal=(0.75, 2.0),
             box_encoding='cxcywh', position_encoding='learned absolute')
train_dataloader = dict(
    batch_size=64, num_workers=8, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='tracking_collate'),
    dataset=dict(type='TrackingPairs', dataset=None, data_root=None, samples_per_epoch=131072, max_gap=100,
                 scale_jitter=0.25, center_jitter=3.0, color_jitter=0.4, grayscale_prob=0.05))
# a hierarchical backbone's stages after the stride-16 one take no part: DDP must not wait for their gradients
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
val_dataloader = None
val_evaluator = None
val_cfg = None
# one-pass evaluation (bench/tasks/tracking/evaluation.py): every evaluation sequence tracked from its first box
test_dataloader = dict(batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                       collate_fn=dict(type='sequence_collate'),
                       dataset=dict(type='TrackingSequences', dataset=None, data_root=None))
test_cfg = dict(type='OnePassEvalLoop', template_size=112, search_size=224, template_factor=2.0, search_factor=4.0,
                window_influence=0.49)
test_evaluator = dict(type='TrackingMetric', benchmark=None, public=None, name=None, outfile_dir=None)
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1000000)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4), clip_grad=dict(max_norm=0.1),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[210], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=50))
