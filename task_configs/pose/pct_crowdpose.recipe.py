# The pct protocol on CrowdPose: the COCO recipe (pct_coco.recipe.py).
_base_ = ['./pct_coco.recipe.py']
