# `toy` shrinks the upernet protocol: audited against it, it deviates by design.
recipe = dict(kind='toy', of='upernet')
