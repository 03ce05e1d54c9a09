# Cascade Mask R-CNN, 1x schedule: the maskrcnn_1x recipe with the detector heads of mmdet's own
# cascade-mask-rcnn_r50_fpn config (bench/tasks/detection.py swaps them in from `bench.model_base`).
_base_ = ['./maskrcnn_1x.py']

bench = dict(protocol='cascade_1x', model_base='mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py')
