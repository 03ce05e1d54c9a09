# Published settings of SimMIM pre-training (the 800-epoch recipe), each with its source. SM = microsoft/SimMIM
# configs/*__800ep/simmim_pretrain__*.yaml, config.py, optimizer.py, data/data_simmim.py; ST = microsoft/
# Swin-Transformer configs/simmim/simmim_pretrain__swinv2_base__img192_window12__800ep.yaml and models/simmim.py.
SM = 'microsoft/SimMIM'
ST = 'microsoft/Swin-Transformer configs/simmim/simmim_pretrain__swinv2_base__img192_window12__800ep.yaml'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=dict(default=[192, 192], vit=[224, 224]), at='model.img_size',
                        source=SM + ' DATA.IMG_SIZE 192 (Swin), 224 (ViT)'),
        global_batch=dict(value=2048, source=SM + ' README: 16 GPUs x 128'),
        base_lr=dict(value=4e-4, source=SM + ' BASE_LR 1e-4 x 2048 / 512 (main_simmim.py linear scaling)'),
        lr_scaling=dict(value='linear from batch 512', source=SM + ' main_simmim.py: lr x total batch / 512'),
        drop_path=dict(value=dict(default=0.0, vit=0.1, swinv2=0.1), at='model.drop_path_rate',
                       source=SM + ' DROP_PATH_RATE swin 0.0, vit 0.1; ' + ST + ' 0.1'),
        weight_decay=dict(value=0.05, source=SM + ' WEIGHT_DECAY 0.05'),
        no_weight_decay=dict(value=dict(swin=['absolute_pos_embed', 'relative_position_bias_table', 'mask_token'],
                                        swinv2=['absolute_pos_embed', 'relative_position_bias_table', 'mask_token',
                                                'cpb_mlp', 'logit_scale'],
                                        vit=['pos_embed', 'cls_token'], default=['mask_token']),
                             at='optim_wrapper.paramwise_cfg.no_decay_keywords',
                             source=SM + ' optimizer.py get_pretrain_param_groups (+ 1-D params and biases); ST '
                                         'models/swin_transformer_v2.py no_weight_decay_keywords'),
        grad_clip=dict(value=5.0, source=SM + ' TRAIN.CLIP_GRAD 5.0'),
        warmup=dict(value='linear 10 epochs from 0.005', source=SM + ' WARMUP_EPOCHS 10, WARMUP_LR 5e-7 (/1e-4)'),
        schedule=dict(value='800 epochs, steps at 700', source=SM + ' EPOCHS 800, multistep [700] gamma 0.1'),
        norm_target=dict(value=dict(default=None, swinv2=47), at='model.norm_target_patch',
                         source=ST + ' MODEL.SIMMIM.NORM_TARGET ENABLE True, PATCH_SIZE 47'),
        mask=dict(value=[32, 0.6], at=['train_dataloader.dataset.mask_patch', 'train_dataloader.dataset.mask_ratio'],
                  source=SM + ' DATA.MASK_PATCH_SIZE 32, MASK_RATIO 0.6'),
    ),
    intended=dict(global_batch='the batch is set by the machine; the LR follows it linearly (the rule of SimMIM)'),
)
