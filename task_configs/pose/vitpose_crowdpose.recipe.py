# The vitpose protocol on CrowdPose: the COCO recipe (vitpose_coco.recipe.py); CrowdPose is evaluated on its test
# split with the crowd-aware OKS (mmpose CrowdPoseDataset / CocoMetric use_area=False, iou_type='keypoints_crowd').
_base_ = ['./vitpose_coco.recipe.py']
