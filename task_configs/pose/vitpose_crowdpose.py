# ViTPose-style protocol on CrowdPose (14 keypoints): train on trainval, evaluate on test, crowd-aware OKS.
_base_ = ['./vitpose_coco.py']

dataset_type = 'CrowdPoseDataset'
model = dict(head=dict(out_channels=14))
train_dataloader = dict(dataset=dict(type=dataset_type, ann_file='json/crowdpose_trainval.json',
                                     data_prefix=dict(img='images/')))
test_dataloader = dict(dataset=dict(type=dataset_type, ann_file='json/crowdpose_test.json',
                                    data_prefix=dict(img='images/')))
test_evaluator = dict(type='CocoMetric', ann_file=None, use_area=False, iou_type='keypoints_crowd',
                      prefix='crowdpose')
