# The seed paper's depth protocol (SwinTransformer/MIM-Depth-Estimation, GLPDepth code base; README commands,
# configs/{base,train}_options.py, train.py, models/model.py, dataset/base_dataset.py) on NYUv2: last backbone stage
# only, LastStageDepthHead (3x deconv k2 32 ch, conv to embed_dim: 128 for B, 192 for L, 2x bilinear x2,
# conv-ReLU-conv, sigmoid x 10 m), SiLog loss (lambda 0.5) on valid pixels, AdamW wd 0.05 with the official one-cycle
# schedule 3e-5 -> 5e-4 (power 0.9, 12 of 25 epochs) -> 3e-5 per step, times each group's layer-decay scale; layer
# decay 0.9 (B) / 0.85 (L) with patch merging as a layer of its own, drop path 0.3 / 0.5, 25 epochs, batch 24 (LR
# not scaled: no rule given), CutDepth on every 4th sample, flip, random 480x480 crops, brightness/contrast, gamma
# and HSV jitter, images in [0, 1] with no mean/std normalisation; Swin windows 30,30,30,15; evaluation on the 654
# test images with flip + 2 sliding windows, Eigen crop, range (1e-3, 10). Settings and sources: glp_nyu.recipe.py.
default_scope = 'mmseg'
bench = dict(protocol='glp', schedules=dict(full=25, smoke=1), crop=(480, 480), normalise=False,
             window=dict(default=None, swin=(30, 30, 30, 15), swinv2=(30, 30, 30, 15)),
             head_width=dict(default=128, **{'swinv2-l': 192, 'swin-l': 192}),
             layer_decay=dict(default=dict(rate=0.9, rule='glp'), vit=dict(rate=0.9, rule='vitpose'),
                              **{'swinv2-l': dict(rate=0.85, rule='glp'), 'swin-l': dict(rate=0.85, rule='glp')}),
             drop_path=dict(default=0.3, **{'swinv2-l': 0.5, 'swin-l': 0.5}))
max_depth = 10.0
crop_size = (480, 480)

model = dict(
    type='DepthEstimator',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=None, std=None, bgr_to_rgb=True, pad_val=0,
                           seg_pad_val=0, size_divisor=32),
    backbone=dict(type='TransferBackbone', name=None, weights=None, img_size=crop_size, out_indices=(-1, ),
                  drop_path_rate=0.3),
    decode_head=dict(type='LastStageDepthHead', in_channels=None, max_depth=max_depth, embed_dim=128,
                     num_deconv_filters=(32, 32, 32), loss_decode=dict(type='SiLogLoss', loss_weight=1.0)),
    test_cfg=dict(mode='slide_flip', crop_size=crop_size, stride=(160, 160)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='CutDepth', depth_scale=1000.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='GLPPhotometric'),
    dict(type='PackSegInputs', meta_keys=('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'category_id')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs', meta_keys=('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'category_id')),
]
train_dataloader = dict(
    batch_size=24, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='DepthPairsDataset', dataset='nyu', split='train', data_root=None, pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DepthPairsDataset', dataset='nyu', split='test', data_root=None, test_mode=True,
                 pipeline=test_pipeline))
test_evaluator = dict(type='OfficialDepthMetric', min_depth_eval=1e-3, max_depth_eval=max_depth, crop='nyu_crop',
                      depth_scale_factor=1000.0, output_dir=None)
val_dataloader = None
val_evaluator = None
val_cfg = None
test_cfg = dict(type='TestLoop')
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=25, val_interval=1000000)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
                     constructor='LayerDecayConstructor', paramwise_cfg=dict())
# SwinTransformer/MIM-Depth-Estimation train.py L184-198: one cycle 3e-5 -> 5e-4 (power 0.9, first 12 of 25 epochs)
# -> 3e-5, recomputed every step and multiplied by each group's layer-decay scale (bench/tasks/shared/schedules.py)
param_scheduler = [dict(type='GLPDepthLR', eta_min_ratio=3e-5 / 5e-4, power=0.9, begin=0, end=25, by_epoch=True,
                        convert_to_iter_based=True)]
default_hooks = dict(
    timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
