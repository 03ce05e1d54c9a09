# `toy` shrinks the vitpose protocol: audited against it, it deviates by design.
recipe = dict(kind='toy', of='vitpose')
