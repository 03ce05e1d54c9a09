# Published settings of the vitpose protocol (ViTPose-B on COCO), each with its source; `bench protocols show pose
# vitpose --backbone NAME` compares a resolved run with them. VP = ViTAE-Transformer/ViTPose
# configs/body/2d_kpt_sview_rgb_img/topdown_heatmap/coco/ViTPose_base_coco_256x192.py; MM = open-mmlab/mmpose
# configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_ViTPose-base_8xb64-210e_coco-256x192.py; PCT =
# Gengzigang/PCT configs/hmp_base.py (the source for Swin / SwinV2, which ViTPose has no config for).
VP = 'ViTAE-Transformer/ViTPose VP/ViTPose_base_coco_256x192.py'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=[256, 192], at='model.backbone.img_size', source=VP + ' data_cfg image_size=[192, 256]'),
        window=dict(value=dict(vit=None, swin='not published', swinv2='not published', default=None),
                    at='model.backbone.window_size', source='ViTPose has no Swin config'),
        global_batch=dict(value=512, source=VP + ' samples_per_gpu=64 x 8 GPUs (logs/vitpose-b.log.json env_info)'),
        base_lr=dict(value=5e-4, source=VP + ' optimizer lr=5e-4'),
        lr_scaling=dict(value='linear from batch 512',
                        source='MM auto_scale_lr=dict(base_batch_size=512); mmengine Runner.scale_lr'),
        layer_decay=dict(value=dict(vit=0.75, swin=0.9, swinv2=0.9, default=0.75),
                         source=VP + ' paramwise_cfg layer_decay_rate=0.75; PCT layer_decay_rate=0.9 for Swin'),
        layer_decay_rule=dict(value=dict(vit='vitpose', swin='glp', swinv2='glp', default='timm'),
                              source='ViTPose mmcv_custom/layer_decay_optimizer_constructor.py; PCT '
                                     'utils/optimzer_ld.py'),
        drop_path=dict(value=0.3, source=VP + ' backbone drop_path_rate=0.3'),
        weight_decay=dict(value=0.1, source=VP + ' optimizer weight_decay=0.1'),
        no_weight_decay=dict(value='1-D params, biases, pos_embed',
                             source='ViTPose mmcv_custom/layer_decay_optimizer_constructor.py l.42-44'),
        grad_clip=dict(value=1.0, source=VP + ' optimizer_config grad_clip max_norm=1.0'),
        warmup=dict(value='linear 500 iters from 0.001', source=VP + ' lr_config warmup_iters=500, ratio 0.001'),
        schedule=dict(value='210 epochs, steps at 170/200', source=VP + ' total_epochs=210, step=[170, 200]'),
        augmentations=dict(value=['GetBBoxCenterScale', 'RandomFlip', 'RandomHalfBody', 'RandomBBoxTransform',
                                  'TopdownAffine', 'GenerateTarget'],
                           source='MM train_pipeline (flip, half body, scale/rotation, UDP affine)'),
        evaluation=dict(value='flip test, detected person boxes',
                        source=VP + ' test_cfg flip_test=True; use_gt_bbox=False, bbox_file=COCO_val2017_detections_'
                                    'AP_H_56_person.json'),
    ),
    intended=dict(
        window=dict(default=None, swin='ViTPose has no Swin config: both members of a MIM-supervised pair get the same window '
                         '(7 for Swin, the SimMIM SwinV2 pre-training windows 12,12,12,6 for SwinV2)',
                    swinv2='ViTPose has no Swin config: both members of a MIM-supervised pair get the same window '
                           '(7 for Swin, the SimMIM SwinV2 pre-training windows 12,12,12,6 for SwinV2)'),
        no_weight_decay='one exemption rule for every protocol, a superset of each official list (also cls and '
                        'mask tokens, position tables and MLPs, logit scales)',
    ),
)
