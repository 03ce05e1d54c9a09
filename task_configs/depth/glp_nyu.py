# The seed paper's depth protocol (SwinTransformer/MIM-Depth-Estimation, GLPDepth code base) on NYUv2: last backbone
# stage only, LastStageDepthHead (3x deconv k2 32 ch, conv, 2x bilinear x2, conv-ReLU-conv, sigmoid x 10 m), SiLog
# loss (lambda 0.5) on valid pixels, AdamW wd 0.05 with a one-cycle schedule 3e-5 -> 5e-4 -> 3e-5 (peak at half),
# layer decay 0.9 (B) / 0.85 (L), drop path 0.3 / 0.5, 25 epochs, batch 24, random 480x480 crops, Swin windows
# 30,30,30,15; evaluation on the 654 test images with flip + sliding windows, Eigen crop, range (1e-3, 10).
default_scope = 'mmseg'
bench = dict(protocol='glp', schedules=dict(full=25, smoke=1), window=(30, 30, 30, 15), crop=(480, 480),
             layer_decay=dict(base=0.9, large=0.85), drop_path=dict(base=0.3, large=0.5))
max_depth = 10.0
crop_size = (480, 480)

model = dict(
    type='DepthEstimator',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=None, std=None, bgr_to_rgb=True, pad_val=0,
                           seg_pad_val=0, size_divisor=32),
    backbone=dict(type='TransferBackbone', name=None, weights=None, img_size=crop_size, out_indices=(-1, ),
                  drop_path_rate=0.3),
    decode_head=dict(type='LastStageDepthHead', in_channels=None, max_depth=max_depth, embed_dim=128,
                     num_deconv_filters=(32, 32, 32), loss_decode=dict(type='SiLogLoss')),
    test_cfg=dict(mode='slide_flip', crop_size=crop_size, stride=(160, 160)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PhotoMetricDistortion', brightness_delta=20, contrast_range=(0.8, 1.2),
         saturation_range=(0.8, 1.2), hue_delta=10),
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
                     constructor='LayerDecayConstructor', paramwise_cfg=dict(layer_decay_rate=0.9))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=5e-4, total_steps=25, pct_start=0.5, div_factor=5e-4 / 3e-5,
         final_div_factor=1.0, anneal_strategy='cos', by_epoch=True, convert_to_iter_based=True),
]
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
