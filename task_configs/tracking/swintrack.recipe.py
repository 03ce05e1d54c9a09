# Published settings of the swintrack protocol (SwinTrack-B), each with its source. ST = LitingLin/SwinTrack
# config/SwinTrack/Base/config.yaml (model) and runs.yaml (training).
ST = 'LitingLin/SwinTrack config/SwinTrack/Base/'
recipe = dict(
    kind='paper',
    settings=dict(
        input_size=dict(value=[112, 224], at=['bench.template_size', 'bench.search_size'],
                        source=ST + 'config.yaml data.template_size=112, search_size=224'),
        dim=dict(value=512, at='model.dim', source=ST + 'config.yaml transformer.dim=512'),
        encoder_depth=dict(value=8, at='model.encoder_depth', source=ST + 'config.yaml encoder num_layers=8'),
        decoder_depth=dict(value=1, at='model.decoder_depth', source=ST + 'config.yaml decoder num_layers=1'),
        loss_weights=dict(value=[1.5, 1.5], at='model.loss_weights',
                          source=ST + 'runs.yaml loss: varifocal weight 1.5, GIoU weight 1.5, no L1'),
        box_encoding=dict(value='cxcywh', at='model.box_encoding', source='LitingLin/SwinTrack models/head/mlp.py'),
        position_encoding=dict(value='untied absolute + relative', at='model.position_encoding',
                               source=ST + 'config.yaml untied_position_embedding absolute + relative'),
        global_batch=dict(value=64, source=ST + 'runs.yaml data.train.batch_size=64 (per process; no GPU count)'),
        base_lr=dict(value=5e-4, source=ST + 'runs.yaml optimizer AdamW lr=5e-4'),
        lr_scaling=dict(value='none', source=ST + 'runs.yaml: no scaling rule'),
        backbone_lr=dict(value=0.1, at='optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult',
                         source=ST + 'runs.yaml per_parameter ^backbone.stages lr_mult=0.1'),
        layer_decay=dict(value=1.0, source='SwinTrack: no layer decay'),
        drop_path=dict(value=dict(swin=0.2, default='not published'),
                       source='LitingLin/SwinTrack models/backbone/swin_transformer.py default drop_path_rate=0.2'),
        weight_decay=dict(value=1e-4, source=ST + 'runs.yaml weight_decay=1e-4'),
        no_weight_decay=dict(value='none (every parameter decayed)',
                             source='LitingLin/SwinTrack runners/training/common/optimization/optimizer/params.py'),
        grad_clip=dict(value=0.1, source=ST + 'runs.yaml clip_max_norm=0.1'),
        warmup=dict(value='linear 3 epochs from 0.001', source=ST + 'runs.yaml warmup 1 % of iterations from 0.001'),
        schedule=dict(value='300 epochs, steps at 210', source=ST + 'runs.yaml 300 epochs, MultiStepLR milestone 0.7'),
        augmentations=dict(value=['color_jitter=0.4', 'grayscale_prob=0.05', 'scale_jitter=0.25',
                                  'center_jitter=3.0'],
                           source=ST + 'runs.yaml processor: color_jitter 0.4, gray_scale_probability 0.05, search '
                                       'scale/translation jitter 0.25 / 3, no flip'),
        training_data=dict(by_dataset={'got10k': 'got10k', 'got10k-test': 'got10k',
                                       'default': 'coco+got10k+lasot+trackingnet'},
                           source='LitingLin/SwinTrack config/dataset/train.yaml (GOT-10k, LaSOT, TrackingNet, COCO; '
                                  'weight 1 each); config/mixin/got10k.yaml (GOT-10k only)'),
        evaluation=dict(value='one-pass, Hanning window 0.49',
                        source='LitingLin/SwinTrack config: window_penalty 0.49, first-frame template'),
    ),
    intended=dict(
        position_encoding='learned absolute position embeddings added to the tokens (SwinTrack adds untied '
                          'absolute terms and a relative bias to the attention logits)',
        drop_path=dict(default='SwinTrack is Swin-only: other backbones keep the Swin default'),
    ),
)
