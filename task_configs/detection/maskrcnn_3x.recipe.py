# maskrcnn_3x: the 1x recipe (maskrcnn_1x.recipe.py) with mmdet's 3x Swin schedule and multi-scale training
# (open-mmlab/mmdetection configs/swin/mask-rcnn_swin-t-p4-w7_fpn_ms-crop-3x_coco.py).
_base_ = ['./maskrcnn_1x.recipe.py']
S3 = 'open-mmlab/mmdetection configs/swin/mask-rcnn_swin-t-p4-w7_fpn_ms-crop-3x_coco.py'
recipe = dict(settings=dict(
    schedule=dict(value='36 epochs, steps at 27/33', source=S3 + ' max_epochs=36, milestones=[27, 33]'),
    augmentations=dict(value=['RandomFlip', 'RandomChoice'], source=S3 + ' RandomFlip, RandomChoice(multi-scale '
                                                                        'resize | resize + crop + resize)'),
), intended=dict(augmentations='multi-scale resize (short side 480-800) without the DETR-style random crop branch'))
