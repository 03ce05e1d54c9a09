# `toy` shrinks the glp protocol: audited against it, it deviates by design.
recipe = dict(kind='toy', of='glp')
