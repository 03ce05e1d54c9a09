# Published settings of the pct protocol (PCT's SimMIM-SwinV2 heatmap baseline), each with its source.
# PCT = Gengzigang/PCT configs/hmp_base.py (B) and hmp_large.py (L).
PCT = 'Gengzigang/PCT configs/hmp_base.py'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=[256, 256], at='model.backbone.img_size', source=PCT + ' data_cfg image_size=[256, 256]'),
        window=dict(value=dict(swinv2=[16, 16, 16, 8], swin='not published', default=None),
                    at='model.backbone.window_size', source=PCT + ' backbone window_size=[16, 16, 16, 8]'),
        global_batch=dict(value=256, source=PCT + ' samples_per_gpu=32; README: 8 GPUs'),
        base_lr=dict(value=dict(default=5e-4, **{'swinv2-l': 3.33e-4}), source=PCT + ' lr=5e-4; hmp_large lr=3.33e-4'),
        lr_scaling=dict(value='linear from batch 256', source='mmpose linear scaling (PCT runs at its batch)'),
        layer_decay=dict(value=0.9, source=PCT + ' paramwise_cfg layer_decay_rate=0.9'),
        layer_decay_rule=dict(value=dict(vit='not published', default='glp'),
                              source='Gengzigang/PCT utils/optimzer_ld.py (patch merging is a layer)'),
        drop_path=dict(value=dict(default=0.3, **{'swinv2-l': 0.5}), source=PCT + ' drop_path_rate=0.3; L 0.5'),
        weight_decay=dict(value=dict(default=0.05, **{'swinv2-l': 0.0625}), source=PCT + ' weight_decay=0.05; L 0.0625'),
        no_weight_decay=dict(value='1-D params, biases, rpe_mlp, logit_scale, relative_position_bias_table',
                             source='Gengzigang/PCT utils/optimzer_ld.py'),
        grad_clip=dict(value=None, source=PCT + ' optimizer_config grad_clip=None'),
        warmup=dict(value='linear 500 iters from 0.001', source=PCT + ' lr_config warmup_iters=500, ratio 0.001'),
        schedule=dict(value='150 epochs, cosine', source=PCT + ' total_epochs=150, policy CosineAnnealing'),
        augmentations=dict(value=['GetBBoxCenterScale', 'RandomFlip', 'RandomHalfBody', 'RandomBBoxTransform',
                                  'TopdownAffine', 'PhotoColorJitter', 'GridDropout', 'GenerateTarget'],
                           source=PCT + ' train_pipeline: shift, flip, half body, scale/rotation, affine, '
                                        'Albumentation ColorJitter + GridDropout'),
        evaluation=dict(value='flip test, detected person boxes',
                        source=PCT + ' test_cfg flip_test=True, shift_heatmap=True; README tests with use_gt_bbox=False'),
    ),
    intended=dict(
        window=dict(default=None, swin='PCT is SwinV2-only: Swin v1 takes the same windows'),
        layer_decay_rule=dict(default=None, vit="PCT is SwinV2-only: a plain ViT takes ViTPose's rule"),
        no_weight_decay='one exemption rule for every protocol, a superset of each official list',
    ),
)
