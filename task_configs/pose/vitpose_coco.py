# ViTPose-style top-down heatmap protocol on COCO (ViTPose-B: 256x192, UDP heatmaps 64x48, 2x deconv(256, k4)
# head, AdamW 5e-4, wd 0.1, layer decay 0.75, grad clip 1.0, 210 epochs with steps at 170/200, 500-iter warmup).
# Backbones with a coarser last stage (Swin: stride 32) get one more deconv of the same kind (bench/tasks/pose.py).
_base_ = ['./_base_/default_runtime.py']

bench = dict(protocol='vitpose', deconv_channels=256, deconv_kernel=4, out_index=-1, window=None,
             drop_path_rate=0.3, schedules=dict(full=210, smoke=1))

codec = dict(type='UDPHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                           bgr_to_rgb=True),
    backbone=dict(type='TransferBackbone', name=None, weights=None, img_size=(256, 192), out_indices=(-1, ),
                  drop_path_rate=0.3),
    head=dict(type='HeatmapHead', in_channels=None, out_channels=17, deconv_out_channels=(256, 256),
              deconv_kernel_sizes=(4, 4), loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))

train_cfg = dict(by_epoch=True, max_epochs=210, val_interval=1000000)
val_cfg = None
test_cfg = dict()
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='LayerDecayConstructor', paramwise_cfg=dict(layer_decay_rate=0.75),
    clip_grad=dict(max_norm=1., norm_type=2))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200], gamma=0.1, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=512)

dataset_type = 'CocoDataset'
data_root = None
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
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
train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='topdown',
                 ann_file='annotations/person_keypoints_train2017.json', data_prefix=dict(img='train2017/'),
                 pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
test_dataloader = dict(
    batch_size=32, num_workers=4, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='topdown',
                 ann_file='annotations/person_keypoints_val2017.json', data_prefix=dict(img='val2017/'),
                 test_mode=True, pipeline=val_pipeline))
test_evaluator = dict(type='CocoMetric', ann_file=None)
