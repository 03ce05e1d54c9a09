# SimMIM pre-training (microsoft/SimMIM configs/*__{100,800}ep/simmim_pretrain__*.yaml, config.py, optimizer.py;
# microsoft/Swin-Transformer configs/simmim/simmim_pretrain__swinv2_base__img192_window12__800ep.yaml for SwinV2):
# AdamW (0.9, 0.999), wd 0.05 (none on 1-D parameters, biases and each encoder's skip list), grad clip 5, 10 warmup
# epochs, LRs scaled by batch/512; RandomResizedCrop(0.67-1, 3/4-4/3) + flip; 32-px mask patches at ratio 0.6; drop
# path 0.1 for ViT and SwinV2, 0 for Swin; SwinV2's target normalised over 47-px windows (NORM_TARGET). Recipes
# (`bench pretrain simmim --recipe`): 100ep (base LR 2e-4, warmup from 1e-6, cosine to 1e-5) and 800ep (base LR
# 1e-4, warmup from 5e-7, x 0.1 at epoch 700). `bench pretrain simmim` fills in the encoder, images and sizes.
_base_ = ['../_base_/mmengine_runtime.py']
bench = dict(lr_scaling=dict(base_batch=512, rule='linear'), recipes={'100ep': dict(epochs=100, base_lr=2e-4, warmup_lr=1e-6, min_lr=1e-5, warmup_epochs=10,
                                    schedule='cosine'),
                      '800ep': dict(epochs=800, base_lr=1e-4, warmup_lr=5e-7, warmup_epochs=10, schedule='multistep',
                                    milestones=(700,), gamma=0.1)},
             drop_path=dict(default=0.0, vit=0.1, swinv2=0.1), norm_target=dict(default=None, swinv2=47),
             no_decay_keywords=dict(swin=('absolute_pos_embed', 'relative_position_bias_table', 'mask_token'),
                                    swinv2=('absolute_pos_embed', 'relative_position_bias_table', 'mask_token',
                                            'cpb_mlp', 'logit_scale'),
                                    vit=('pos_embed', 'cls_token'), default=('mask_token',)))
model = dict(type='SimMIM', backbone=None, img_size=(192, 192), drop_path_rate=0.0, norm_target_patch=None)
train_dataloader = dict(
    batch_size=128, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ImageFolderForMIM', data_root=None, img_size=(192, 192), mask_patch=32, model_patch=4,
                 mask_ratio=0.6, mean=None, std=None))
train_cfg = dict(by_epoch=True, max_epochs=100)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0), constructor='SimMIMPretrainConstructor', paramwise_cfg=dict(no_decay_keywords=()))
param_scheduler = []
custom_hooks = [dict(type='ThroughputHook')]
