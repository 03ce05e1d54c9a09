# The seed paper's depth protocol on KITTI (Eigen split): as glp_nyu, with max depth 80 m, KITTI's 352x1216 benchmark
# crop on image and depth for training and evaluation (MIM-Depth-Estimation dataset/kitti.py), random 352x352 crops,
# Swin windows 22,22,22,11, evaluation on the 652 Eigen test images with ground truth: flip + 16 sliding 352 windows
# (stride 57, test.py shift_window_test with shift_size 16), Garg crop fractions of the 352x1216 crop, range
# (1e-3, 80). Settings and sources: glp_kitti.recipe.py.
_base_ = ['./glp_nyu.py']

bench = dict(window=dict(default=None, swin=(22, 22, 22, 11), swinv2=(22, 22, 22, 11)), crop=(352, 352))
max_depth = 80.0
crop_size = (352, 352)
model = dict(backbone=dict(img_size=crop_size), decode_head=dict(max_depth=max_depth),
             test_cfg=dict(crop_size=crop_size, stride=(57, 57)))
meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'category_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256.),
    dict(type='KBCrop'),
    dict(type='CutDepth', depth_scale=256.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='GLPPhotometric'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256.),
    dict(type='KBCrop'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(dataset='kitti', pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(dataset='kitti', pipeline=test_pipeline))
test_evaluator = dict(max_depth_eval=max_depth, crop='garg_crop', depth_scale_factor=256.0)
