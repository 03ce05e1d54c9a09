# Full fine-tuning with SimMIM's fine-tune recipe (microsoft/SimMIM configs/*/simmim_finetune__*.yaml, config.py;
# microsoft/Swin-Transformer configs/simmim/simmim_finetune__swinv2_base__img224_window14__800ep.yaml): AdamW, base
# LR 1.25e-3 per 512 images (linear scaling by the global batch, SimMIM main_finetune.py), wd 0.05, layer decay per
# family (Swin-B 0.8 from the 800-epoch pre-training, 0.9 from the 100-epoch one, Swin-L 0.7, SwinV2-B 0.75, ViT-B
# 0.65; SimMIM optimizer.py get_swin_layer / get_vit_layer), 20 warmup epochs from 2.5e-7 then cosine to 2.5e-7
# (both per group: layer decay holds), 100 epochs, drop path 0.1 (0.2 for L), grad clip 5, label smoothing 0.1,
# RandomResizedCrop + flip + RandAugment(2, 9), random erasing 0.25, mixup 0.8 / cutmix 1.0 (switch 0.5); every
# backbone of a MIM-supervised pair at the same 224 input and window (Swin 7, SwinV2 14). Batch 64: the fine-grained
# sets hold a few thousand images. Settings and sources: finetune.recipe.py.
_base_ = ['../_base_/mmengine_runtime.py']
bench = dict(protocol='finetune', schedules=dict(full=100, smoke=1), img_size=(224, 224),
             lr_scaling=dict(base_batch=512, rule='linear'),
             drop_path=dict(default=0.1, **{'swin-l': 0.2, 'swinv2-l': 0.2}),
             window=dict(default=None, swin=(7, 7, 7, 7), swinv2=(14, 14, 14, 7)),
             layer_decay=dict(default=dict(rate=0.75, rule='timm'), swin=dict(rate=0.8, rule='simmim'),
                              swinv2=dict(rate=0.75, rule='simmim'), vit=dict(rate=0.65, rule='vitpose'),
                              **{'swin-l': dict(rate=0.7, rule='simmim'),
                                 'simmim-swin-b-100ep': dict(rate=0.9, rule='simmim')}))

model = dict(type='TransferClassifier', backbone=dict(name=None, weights=None, img_size=None, out_indices=(-1, )),
             num_classes=None, label_smoothing=0.1, mixup=0.8, cutmix=1.0, mix_switch_prob=0.5, reprob=0.25,
             data_preprocessor=dict(type='ImgDataPreprocessor', mean=None, std=None))
train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='classification_collate'),
    dataset=dict(type='ClassificationDataset', dataset=None, data_root=None, split='train', img_size=None,
                 augment=dict(scale=(0.08, 1.0), rand_augment=True)))
test_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='classification_collate'),
    dataset=dict(type='ClassificationDataset', dataset=None, data_root=None, split='test', img_size=None))
test_evaluator = dict(type='ClassificationMetric', outfile=None)
val_dataloader = None
val_evaluator = None
val_cfg = None
test_cfg = dict()
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1000000)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1.25e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05),
                     constructor='LayerDecayConstructor', paramwise_cfg=dict(), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=2.5e-7 / 1.25e-3, by_epoch=True, begin=0, end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=20, end=100, T_max=80, eta_min_ratio=2.5e-7 / 1.25e-3,
         convert_to_iter_based=True),
]
