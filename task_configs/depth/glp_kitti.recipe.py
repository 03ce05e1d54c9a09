# The glp depth protocol on KITTI (the README's KITTI commands): as NYU (glp_nyu.recipe.py) but for these settings.
_base_ = ['./glp_nyu.recipe.py']
MD = 'SwinTransformer/MIM-Depth-Estimation'
recipe = dict(settings=dict(
    input_size=dict(value=[352, 352], source=MD + ' README: --crop_h 352 --crop_w 352'),
    window=dict(value=dict(swinv2=[22, 22, 22, 11]), source=MD + ' README: --window_size 22 22 22 11'),
    augmentations=dict(value=['KBCrop', 'CutDepth', 'RandomFlip', 'RandomCrop', 'GLPPhotometric'],
                       source=MD + ' dataset/kitti.py kb crop 352x1216, then base_dataset.py augment_training_data'),
    evaluation=dict(value='flip + sliding (352, 352) stride (57, 57), garg_crop, range (0.001, 80)',
                    source=MD + ' README --shift_size 16 --kitti_crop garg_crop; utils/metrics.py cropping_img'),
))
