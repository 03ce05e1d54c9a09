"""Pose datasets in their distributed layouts: COCO 2017 keypoints (`annotations/person_keypoints_{train,val}2017
.json`, `train2017/`, `val2017/`) and CrowdPose (`json/crowdpose_{trainval,test}.json`, `images/`). The reader
parses and checks both files once (bench.tasks.shared.coco) and returns their CocoSplits."""
from bench.tasks.base import register_dataset
from bench.tasks.shared.coco import read_coco_splits


def read_coco(root):
    """COCO 2017 keypoints: train2017 for training, val2017 for evaluation."""
    return read_coco_splits(root, [("annotations/person_keypoints_train2017.json", "train2017"),
                                   ("annotations/person_keypoints_val2017.json", "val2017")], "keypoints",
                            "COCO-keypoints")


def read_crowdpose(root):
    """CrowdPose: trainval for training, test for evaluation (both in images/)."""
    return read_coco_splits(root, [("json/crowdpose_trainval.json", "images"), ("json/crowdpose_test.json",
                                                                                 "images")], "keypoints",
                            "CrowdPose")


register_dataset("pose", "coco", read_coco, toy="bench.tasks.pose.toy:write_toy_coco",
                 description="COCO 2017 keypoints, 17 joints; evaluated on val2017", eval_split="val2017",
                 options={"config": "coco", "joints": 17})
register_dataset("pose", "crowdpose", read_crowdpose, toy="bench.tasks.pose.toy:write_toy_crowdpose",
                 description="CrowdPose, 14 joints; trained on trainval, evaluated on test", eval_split="test",
                 options={"config": "crowdpose", "joints": 14})
