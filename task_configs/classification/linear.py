# Linear probe: frozen backbone, global-average-pooled last-stage features extracted once (centre crop, no
# augmentation) and cached on disk; standardised features; AdamW linear classifier, LR in (1e-3, 3e-3, 1e-2) x wd in
# (0, 1e-3) chosen on a held-out 20 % of train; then trained on all of train for the same epochs, evaluated on test.
_base_ = ['./finetune.py']

bench = dict(protocol='linear', schedules=dict(full=100, smoke=5), lr_scaling=None,
             drop_path=dict(_delete_=True, default=0.0), layer_decay=dict(_delete_=True, default=dict(rate=1.0, rule=None)))
model = dict(backbone=dict(frozen_stages=1000), mixup=0.0, cutmix=0.0, reprob=0.0)
train_dataloader = dict(dataset=dict(augment=None))
train_cfg = dict(_delete_=True, type='LinearProbeLoop', max_epochs=100, cache_key=None)  # bench/tasks/classification/linear_probe.py
test_cfg = dict(type='LinearProbeTestLoop')
param_scheduler = None
