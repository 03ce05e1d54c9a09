# lsj_1x: the maskrcnn_1x recipe (maskrcnn_1x.recipe.py) with ViTDet's large-scale jitter at 1024
# (open-mmlab/mmdetection projects/ViTDet/configs/lsj-100e_coco-instance.py train_pipeline), on the 1x schedule.
_base_ = ['./maskrcnn_1x.recipe.py']
VD = 'open-mmlab/mmdetection projects/ViTDet/configs/lsj-100e_coco-instance.py'
recipe = dict(settings=dict(
    input_size=dict(value=[1024, 1024], source=VD + ' image_size=(1024, 1024)'),
    augmentations=dict(value=['RandomResize', 'RandomCrop', 'FilterAnnotations', 'RandomFlip'],
                       source=VD + ' RandomResize(0.1-2.0), RandomCrop, FilterAnnotations, RandomFlip'),
    evaluation=dict(value='single scale (1024, 1024), bbox + segm AP', source=VD + ' test Resize 1024'),
))
