# `toy` shrinks the maskrcnn_1x protocol: audited against it, it deviates by design.
recipe = dict(kind='toy', of='maskrcnn_1x')
