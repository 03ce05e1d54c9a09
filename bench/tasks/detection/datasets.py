"""Detection datasets in their distributed layouts: COCO 2017 instances (`annotations/instances_{train,val}2017
.json`, `train2017/`, `val2017/`; boxes + polygon / RLE masks). The reader parses and checks both files once
(bench.tasks.shared.coco): every annotation needs a bbox and a known category."""
from bench.tasks.base import register_dataset
from bench.tasks.shared.coco import read_coco_splits


def read_coco(root):
    """COCO 2017 instances: train2017 for training, val2017 for evaluation."""
    return read_coco_splits(root, [("annotations/instances_train2017.json", "train2017"),
                                   ("annotations/instances_val2017.json", "val2017")], "instances",
                            "COCO-instances")


register_dataset("detection", "coco", read_coco, toy="bench.tasks.detection.toy:write_toy_detection",
                 description="COCO 2017 instances (boxes + polygon/RLE masks); evaluated on val2017",
                 eval_split="val2017")
