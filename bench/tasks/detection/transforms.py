"""`PadKeepShape`: mmdet's Pad for the fixed-size evaluation input of a plain ViT that leaves `img_shape` the
resized image's own shape (mmcv's Pad sets it to the padded one). Boxes are clipped to `img_shape`, so with the
padded shape a non-square image's proposals and detections reach into the padding, past the original image
once rescaled, and mmdet's CPU mask paste (fcn_mask_head._do_paste_mask, skip_empty) fails on such a box
("upper bound and lower bound inconsistent with step sign"). Training already keeps the unpadded shape
(BatchFixedSizePad pads the batch, not `img_shape`), and so does the official ViTDet (detectron2 pads in the model
and clips to the unpadded image size)."""
from mmdet.datasets.transforms import Pad
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PadKeepShape(Pad):
    """Pad (size / pad_val as mmdet's Pad); `img_shape` stays the unpadded shape, `pad_shape` is the padded one."""

    def transform(self, results: dict) -> dict:
        """Pad the image (and masks / maps); restore the unpadded `img_shape`."""
        shape = results["img_shape"]
        results = super().transform(results)
        results["img_shape"] = shape
        return results
