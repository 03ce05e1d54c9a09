# The linear protocol has no published recipe to reproduce: its settings are the harness's own (SimMIM reports no
# linear probe of its released models), so it is audited as a harness protocol.
recipe = dict(kind='harness', settings=dict())
