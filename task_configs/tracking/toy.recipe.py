# `toy` shrinks the swintrack protocol: audited against it, it deviates by design.
recipe = dict(kind='toy', of='swintrack')
