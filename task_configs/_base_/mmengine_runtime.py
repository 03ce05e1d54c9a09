# Runtime shared by the mmengine-scoped configs (classification, tracking, pre-training): epoch-based hooks with one
# kept checkpoint per epoch, fork workers, INFO logging.
default_scope = 'mmengine'
default_hooks = dict(
    timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_processor = dict(window_size=20, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
