# Published settings of the maskrcnn_1x protocol, each with its source. SW = open-mmlab/mmdetection
# configs/swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py (Swin; mmdet has no SwinV2 config); VD = open-mmlab/mmdetection
# projects/ViTDet/configs/lsj-100e_coco-instance.py and vitdet_mask-rcnn_vit-b-mae_lsj-100e.py (plain ViT).
SW = 'open-mmlab/mmdetection configs/swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py'
VD = 'open-mmlab/mmdetection projects/ViTDet/configs/lsj-100e_coco-instance.py'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=[800, 1333], at='model.backbone.img_size',
                        source='mmdet _base_/datasets/coco_instance.py Resize scale=(1333, 800), keep_ratio'),
        window=dict(value=dict(swin=[7, 7, 7, 7], swinv2='not published', default=None),
                    at='model.backbone.window_size', source=SW + ' window_size=7'),
        global_batch=dict(value=dict(default=16, vit=64),
                          source=SW + ' 8 GPUs x 2 (schedule_1x auto_scale_lr base 16); ViTDet 16 GPUs x 4'),
        base_lr=dict(value=1e-4, source=SW + ' AdamW lr=0.0001; ' + VD + ' lr=1e-4'),
        lr_scaling=dict(value=dict(default='linear from batch 16', vit='linear from batch 64'),
                        source='mmdet auto_scale_lr (base_batch_size 16; ViTDet 64)'),
        layer_decay=dict(value=dict(default=1.0, vit=0.7), source=SW + ': no layer decay; ' + VD + ' decay_rate=0.7'),
        layer_decay_rule=dict(value=dict(default='default', vit='vitpose'),
                              source='ViTDet layer_decay_optimizer_constructor.py get_layer_id_for_vit'),
        drop_path=dict(value=dict(default=0.2, vit=0.1), source=SW + ' drop_path_rate=0.2; ViTDet drop_path_rate=0.1'),
        weight_decay=dict(value=dict(default=0.05, vit=0.1), source=SW + ' weight_decay=0.05; ' + VD + ' 0.1'),
        no_weight_decay=dict(value=dict(default='absolute_pos_embed, relative_position_bias_table, norm',
                                        vit='norm, pos_embed'),
                             source=SW + ' paramwise_cfg custom_keys decay_mult=0; ViTDet constructor'),
        grad_clip=dict(value=None, source=SW + ': no clipping'),
        warmup=dict(value='linear 1000 iters from 0.001', source=SW + ' LinearLR end=1000, start_factor=0.001'),
        schedule=dict(value='12 epochs, steps at 8/11', source=SW + ' max_epochs=12, milestones=[8, 11]'),
        augmentations=dict(value=['Resize', 'RandomFlip'], source='mmdet _base_/datasets/coco_instance.py'),
        evaluation=dict(value='single scale (1333, 800), bbox + segm AP', source='mmdet CocoMetric'),
    ),
    intended=dict(
        window=dict(default=None, swinv2='mmdet has no SwinV2 config: both members of a pair get the SimMIM SwinV2 windows'),
        input_size=dict(default=None, vit='a plain ViT attends globally at one fixed size: images are padded to 1333 x 1333'),
        global_batch=dict(default=None, vit='ViTDet publishes LSJ only; the 1x protocol keeps batch 16 for every family'),
        no_weight_decay='one exemption rule for every protocol (mmdet decays biases; we never do)',
    ),
)
