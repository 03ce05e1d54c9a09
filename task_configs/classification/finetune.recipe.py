# Published settings of the finetune protocol (SimMIM's fine-tuning recipe), each with its source. SM =
# microsoft/SimMIM (configs/<model>/simmim_finetune__*.yaml, config.py defaults, optimizer.py); ST =
# microsoft/Swin-Transformer configs/simmim/simmim_finetune__swinv2_base__img224_window14__800ep.yaml (SwinV2).
SM = 'microsoft/SimMIM'
ST = 'microsoft/Swin-Transformer configs/simmim/simmim_finetune__swinv2_base__img224_window14__800ep.yaml'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=[224, 224], at='model.backbone.img_size',
                        source=SM + ' configs/swin_base__800ep/simmim_finetune__swin_base__img224_window7__800ep.yaml '
                                    'DATA.IMG_SIZE 224 (the same for both members of a pair)'),
        window=dict(value=dict(swin=[7, 7, 7, 7], swinv2=[14, 14, 14, 7], default=None), at='model.backbone.window_size',
                    source=SM + ' swin WINDOW_SIZE 7; ' + ST + ' WINDOW_SIZE 14 (stage 4 clipped to 7)'),
        global_batch=dict(value=2048, source=SM + ' README: 16 GPUs x --batch-size 128'),
        base_lr=dict(value=5e-3, source=SM + ' BASE_LR 1.25e-3 x 2048 / 512 (main_finetune.py linear scaling)'),
        lr_scaling=dict(value='linear from batch 512', source=SM + ' main_finetune.py: lr x total batch / 512'),
        layer_decay=dict(value=dict(swin=0.8, swinv2=0.75, vit=0.65, default='not published',
                                    **{'swin-l': 0.7, 'simmim-swin-b-100ep': 0.9}),
                         source=SM + ' LAYER_DECAY: swin_base 800ep 0.8, 100ep 0.9, swin_large 0.7, vit_base 0.65; '
                                     + ST + ' 0.75'),
        layer_decay_rule=dict(value=dict(swin='simmim', swinv2='simmim', vit='vitpose', default='not published'),
                              source=SM + ' optimizer.py get_swin_layer / get_vit_layer'),
        drop_path=dict(value=dict(default=0.1, **{'swin-l': 0.2}), source=SM + ' DROP_PATH_RATE 0.1 (swin_large 0.2)'),
        weight_decay=dict(value=0.05, source=SM + ' WEIGHT_DECAY 0.05'),
        no_weight_decay=dict(value='1-D params, biases, absolute_pos_embed, relative_position_bias_table, cpb_mlp, '
                                   'logit_scale', source=SM + ' optimizer.py; models/*.py no_weight_decay_keywords'),
        grad_clip=dict(value=5.0, source=SM + ' config.py TRAIN.CLIP_GRAD 5.0'),
        warmup=dict(value='linear 20 epochs from 0.0002', source=SM + ' WARMUP_EPOCHS 20, WARMUP_LR 2.5e-7 (/1.25e-3)'),
        schedule=dict(value='100 epochs, cosine', source=SM + ' EPOCHS 100, LR_SCHEDULER cosine, MIN_LR 2.5e-7'),
        rand_augment=dict(value='rand-m9-mstd0.5-inc1', at='train_dataloader.dataset.augment.rand_augment',
                          source=SM + ' config.py AUG.AUTO_AUGMENT'),
        mixup=dict(value=0.8, at='model.mixup', source=SM + ' config.py AUG.MIXUP 0.8'),
        cutmix=dict(value=1.0, at='model.cutmix', source=SM + ' config.py AUG.CUTMIX 1.0'),
        random_erasing=dict(value=0.25, at='model.reprob', source=SM + ' config.py AUG.REPROB 0.25'),
        label_smoothing=dict(value=0.1, at='model.label_smoothing', source=SM + ' config.py MODEL.LABEL_SMOOTHING 0.1'),
        evaluation=dict(value='resize 256/224 + centre crop', source=SM + ' data/data_finetune.py TEST.CROP'),
    ),
    intended=dict(
        global_batch='fine-grained sets hold a few thousand images: batch 64, the LR scaled linearly (the rule of SimMIM)',
        rand_augment="torchvision's RandAugment(2 ops, magnitude 9) for timm's rand-m9-mstd0.5-inc1",
        layer_decay=dict(default='no SimMIM recipe for this family: 0.75 on the layer groups of timm'),
        layer_decay_rule=dict(default='no SimMIM recipe for this family: the group_matcher of timm'),
        no_weight_decay='one exemption rule for every protocol, a superset of each official list',
    ),
)
