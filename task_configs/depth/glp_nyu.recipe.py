# Published settings of the glp depth protocol on NYUv2 (SwinTransformer/MIM-Depth-Estimation; the README's NYU
# commands for swin_base_v2 / swin_large_v2), each with its source. MD = SwinTransformer/MIM-Depth-Estimation.
MD = 'SwinTransformer/MIM-Depth-Estimation'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=[480, 480], at='model.backbone.img_size', source=MD + ' README: --crop_h 480 --crop_w 480'),
        window=dict(value=dict(swinv2=[30, 30, 30, 15], swin='not published', default=None),
                    at='model.backbone.window_size', source=MD + ' README: --window_size 30 30 30 15'),
        global_batch=dict(value=24, source=MD + ' configs/base_options.py --batch_size 24 (nn.DataParallel)'),
        base_lr=dict(value=5e-4, source=MD + ' configs/train_options.py --max_lr 5e-4'),
        lr_scaling=dict(value='none', source=MD + ' train.py: no scaling rule'),
        layer_decay=dict(value=dict(default=0.9, **{'swinv2-l': 0.85}),
                         source=MD + ' README: --layer_decay 0.9 (base), 0.85 (large)'),
        layer_decay_rule=dict(value=dict(vit='not published', default='glp'),
                              source=MD + ' models/optimizer.py get_num_layer_for_swin (29 levels for 2,2,18,2)'),
        drop_path=dict(value=dict(default=0.3, **{'swinv2-l': 0.5}), source=MD + ' README: --drop_path_rate 0.3 / 0.5'),
        weight_decay=dict(value=0.05, source=MD + ' configs/train_options.py --weight_decay 5e-2'),
        no_weight_decay=dict(value='1-D params, biases, relative_position_bias_table, rpe_mlp, logit_scale',
                             source=MD + ' train.py no_decay_names; models/optimizer.py L63-74'),
        grad_clip=dict(value=None, source=MD + ' train.py: no clipping'),
        warmup=dict(value='none', source=MD + ' train.py L184-198: the one cycle starts at min_lr'),
        schedule=dict(value='25 epochs, one-cycle power 0.9', source=MD + ' train.py L184-198; --epochs 25'),
        augmentations=dict(value=['CutDepth', 'RandomFlip', 'RandomCrop', 'GLPPhotometric'],
                           source=MD + ' dataset/base_dataset.py augment_training_data (CutDepth every 4th sample, '
                                       'HorizontalFlip, RandomCrop, RandomBrightnessContrast, RandomGamma, '
                                       'HueSaturationValue)'),
        input_normalisation=dict(value='[0, 1], no mean/std', source=MD + ' dataset/base_dataset.py ToTensor only'),
        evaluation=dict(value='flip + sliding (480, 480) stride (160, 160), nyu_crop, range (0.001, 10)',
                        source=MD + ' test.py --flip_test --shift_window_test --shift_size 2; utils/metrics.py '
                                    'eval_mask[45:471, 41:601]'),
    ),
    intended=dict(
        window=dict(default=None, swin='the official code is SwinV2-only: Swin v1 takes the same windows'),
        layer_decay_rule=dict(default=None, vit="the official code is SwinV2-only: a plain ViT takes ViTPose's rule"),
        no_weight_decay='one exemption rule for every protocol, a superset of each official list',
    ),
)
