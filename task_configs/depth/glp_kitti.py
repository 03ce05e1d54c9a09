# The seed paper's depth protocol on KITTI (Eigen split): as glp_nyu, with max depth 80 m, random 352x352 crops,
# Swin windows 22,22,22,11, evaluation on the 652 Eigen test images with ground truth, Garg crop, range (1e-3, 80).
_base_ = ['./glp_nyu.py']

bench = dict(window=(22, 22, 22, 11), crop=(352, 352))
max_depth = 80.0
crop_size = (352, 352)
model = dict(backbone=dict(img_size=crop_size), decode_head=dict(max_depth=max_depth),
             test_cfg=dict(crop_size=crop_size, stride=(176, 176)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256.),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PhotoMetricDistortion', brightness_delta=20, contrast_range=(0.8, 1.2),
         saturation_range=(0.8, 1.2), hue_delta=10),
    dict(type='PackSegInputs', meta_keys=('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'category_id')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256.),
    dict(type='PackSegInputs', meta_keys=('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                                          'scale_factor', 'flip', 'flip_direction', 'category_id')),
]
train_dataloader = dict(dataset=dict(dataset='kitti', pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(dataset='kitti', pipeline=test_pipeline))
test_evaluator = dict(max_depth_eval=max_depth, crop='garg_crop', depth_scale_factor=256.0)
