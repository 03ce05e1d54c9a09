# `toy` protocol: Mask R-CNN 1x shrunk for CPU checks on `bench data toy` shapes (128x128 images kept at their size,
# small RPN/RoI sample counts, LR 1e-3). Heads are narrowed to the tiny backbones (FPN / RPN / RoI / mask head 64
# channels, box head FC 256 instead of 256 / 1024): about 4x faster per iteration on a CPU than the full-width heads,
# which is what lets the learnability test train long enough to learn on every seed (tests/test_detection.py). The
# 1x schedule's step decay stays (mmdet configs/_base_/schedules/schedule_1x.py: x0.1 at epochs 8 and 11 of 12,
# scaled with --epochs) after a 20-iteration warmup. Rows say protocol=toy.
_base_ = ['./maskrcnn_1x.py']

bench = dict(protocol='toy', schedules=dict(full=12, smoke=2), lr_scaling=None, drop_path=dict(_delete_=True, default=0.0),
             window=None, optimizer=None, layer_decay=dict(_delete_=True, default=dict(rate=1.0, rule=None)))
model = dict(backbone=dict(img_size=(128, 128)),
             neck=dict(out_channels=64),
             rpn_head=dict(in_channels=64, feat_channels=64),
             roi_head=dict(bbox_roi_extractor=dict(out_channels=64),
                           bbox_head=dict(in_channels=64, fc_out_channels=256),
                           mask_roi_extractor=dict(out_channels=64),
                           mask_head=dict(in_channels=64, conv_out_channels=64)),
             train_cfg=dict(rpn=dict(sampler=dict(num=64)), rpn_proposal=dict(nms_pre=300, max_per_img=100),
                            rcnn=dict(sampler=dict(num=64))),
             test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100)))
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
                   dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)]
