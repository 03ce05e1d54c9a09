# ViTPose-style top-down heatmap protocol on COCO (ViTAE-Transformer/ViTPose configs/body/2d_kpt_sview_rgb_img/
# topdown_heatmap/coco/ViTPose_base_coco_256x192.py; mmpose 1.x td-hm_ViTPose-base_8xb64-210e_coco-256x192.py):
# 256x192, UDP heatmaps 64x48, 2x deconv(256, k4) head, AdamW 5e-4 at global batch 512 (8 GPUs x 64; other
# batches scale the LR linearly, mmpose's auto_scale_lr base 512), wd 0.1, layer decay 0.75 (ViTPose's rule), grad
# clip 1.0, drop path 0.3, 210 epochs with steps at 170/200, 500-iter warmup, flip test. Backbones with a coarser
# last stage (Swin: stride 32) get one more deconv of the same kind (bench/tasks/pose/task.py). ViTPose has no Swin
# config: Swin / SwinV2 take PCT's layer decay (0.9, patch merging as its own layer) and one window per family for
# both members of a MIM-supervised pair. Published settings and their sources: vitpose.recipe.py.
_base_ = ['./_base_/default_runtime.py']

bench = dict(protocol='vitpose', deconv_channels=dict(default=256), deconv_kernel=4, out_index=-1, schedules=dict(full=210, smoke=1),
             lr_scaling=dict(base_batch=512, rule='linear'), drop_path=dict(default=0.3),
             window=dict(default=None, swin=(7, 7, 7, 7), swinv2=(12, 12, 12, 6)),
             layer_decay=dict(vit=dict(rate=0.75, rule='vitpose'), swin=dict(rate=0.9, rule='glp'),
                              swinv2=dict(rate=0.9, rule='glp'), default=dict(rate=0.75, rule='timm')))

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
    constructor='LayerDecayConstructor', paramwise_cfg=dict(),
    clip_grad=dict(max_norm=1., norm_type=2))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200], gamma=0.1, by_epoch=True),
]

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
    batch_size=512, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
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
