import itertools

from heat_snapshots.policies import base
from heat_snapshots.policies import snapshots
from heat_snapshots.policies import stacks


def list_rules():
    return itertools.chain(
        base.list_rules(),
        stacks.list_rules(),
        snapshots.list_rules(),
    )
