# cascade_1x: the maskrcnn_1x recipe (maskrcnn_1x.recipe.py) with mmdet's Cascade Mask R-CNN heads.
_base_ = ['./maskrcnn_1x.recipe.py']
