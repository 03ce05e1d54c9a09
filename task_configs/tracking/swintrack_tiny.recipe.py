# swintrack_tiny (SwinTrack-T, LitingLin/SwinTrack config/SwinTrack/Tiny/): the Base recipe (swintrack.recipe.py)
# with 384-d tokens, 4 encoder layers and batch 128.
_base_ = ['./swintrack.recipe.py']
ST = 'LitingLin/SwinTrack config/SwinTrack/Tiny/'
recipe = dict(settings=dict(
    dim=dict(value=384, source=ST + 'config.yaml transformer.dim=384'),
    encoder_depth=dict(value=4, source=ST + 'config.yaml encoder num_layers=4'),
    global_batch=dict(value=128, source=ST + 'runs.yaml data.train.batch_size=128'),
))
