# Full fine-tuning (SimMIM's fine-tune recipe scaled to small fine-grained sets): AdamW, base LR 1.25e-3 x
# batch/512, wd 0.05, layer decay 0.75, 5 warmup epochs then cosine, 100 epochs, drop path 0.1, label smoothing
# 0.1, RandomResizedCrop + flip + RandAugment(2, 9); input size and mean/std from the backbone spec.
_base_ = ['../_base_/mmengine_runtime.py']
bench = dict(protocol='finetune', schedules=dict(full=100, smoke=1), drop_path_rate=0.1)

model = dict(type='TransferClassifier', backbone=dict(name=None, weights=None, img_size=None, out_indices=(-1, )),
             num_classes=None, label_smoothing=0.1,
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
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1.25e-3 * 64 / 512, betas=(0.9, 0.999), weight_decay=0.05),
                     constructor='LayerDecayConstructor', paramwise_cfg=dict(layer_decay_rate=0.75),
                     clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=5, end=100, T_max=95, eta_min=1e-6,
         convert_to_iter_based=True),
]
