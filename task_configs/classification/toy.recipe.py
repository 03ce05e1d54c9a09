# `toy` shrinks the finetune protocol: audited against it, it deviates by design.
recipe = dict(kind='toy', of='finetune')
