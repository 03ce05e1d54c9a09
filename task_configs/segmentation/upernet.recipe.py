# Published settings of the upernet protocol (ADE20K, 512x512, 160k), each with its source. SW = open-mmlab/
# mmsegmentation configs/swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py (Swin; mmseg has
# no SwinV2 config); MAE = open-mmlab/mmsegmentation configs/mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py.
SW = 'open-mmlab/mmsegmentation configs/swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py'
MAE = 'open-mmlab/mmsegmentation configs/mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=[512, 512], at='model.backbone.img_size', source=SW + ' crop_size=(512, 512)'),
        window=dict(value=dict(swin=[7, 7, 7, 7], swinv2='not published', default=None),
                    at='model.backbone.window_size', source=SW + ' window_size=7'),
        global_batch=dict(value=16, source=SW + ' 8 GPUs x 2 (train_dataloader batch_size=2)'),
        base_lr=dict(value=dict(default=6e-5, vit=1e-4), source=SW + ' AdamW lr=0.00006; ' + MAE + ' lr=1e-4'),
        lr_scaling=dict(value='linear from batch 16', source='mmengine auto_scale_lr (linear)'),
        layer_decay=dict(value=dict(default=1.0, vit=0.65), source=SW + ': none; ' + MAE + ' layer_decay_rate=0.65'),
        layer_decay_rule=dict(value=dict(default='default', vit='vitpose'),
                              source='mmseg layer_decay_optimizer_constructor.py get_layer_id_for_vit'),
        drop_path=dict(value=dict(default=0.3, vit=0.1), source=SW + ' drop_path_rate=0.3; ' + MAE + ' 0.1'),
        weight_decay=dict(value=dict(default=0.01, vit=0.05), source=SW + ' weight_decay=0.01; ' + MAE + ' 0.05'),
        no_weight_decay=dict(value=dict(default='absolute_pos_embed, relative_position_bias_table, norm',
                                        vit='1-D params, biases'),
                             source=SW + ' paramwise_cfg custom_keys; mmseg LayerDecayOptimizerConstructor'),
        grad_clip=dict(value=None, source=SW + ': no clipping'),
        warmup=dict(value='linear 1500 iters from 1e-06', source=SW + ' LinearLR start_factor=1e-6, end=1500'),
        schedule=dict(value='160000 iters, poly 1', source=SW + ' PolyLR power=1.0, eta_min=0, end=160000'),
        augmentations=dict(value=['RandomResize', 'RandomCrop', 'RandomFlip', 'PhotoMetricDistortion'],
                           source='mmseg _base_/datasets/ade20k.py train_pipeline'),
        evaluation=dict(value='slide (512, 512) stride (341, 341), single scale, + scales 0.5-1.75 x flip',
                        source='mmseg _base_/datasets/ade20k.py tta_pipeline; slide inference'),
    ),
    intended=dict(
        window=dict(default=None, swinv2='mmseg has no SwinV2 config: both members of a pair get the SimMIM SwinV2 windows'),
        no_weight_decay='one exemption rule for every protocol (mmseg decays biases; we never do)',
    ),
)
