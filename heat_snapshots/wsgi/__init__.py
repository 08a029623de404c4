# Before anything imports oslo.messaging (see common/concurrency.py).
from heat_snapshots.common import concurrency

concurrency.init()
