"""An engine manager on a fresh database, driven without RPC."""

import time

import fixtures

from heat_snapshots.common import exception
from heat_snapshots import conf
from heat_snapshots.engine import manager

CONF = conf.CONF


class Engine(fixtures.Fixture):
    """Starts an EngineManager on the local driver; stops it afterwards."""

    def _setUp(self):
        self.manager = manager.EngineManager(CONF)
        self.manager.start()
        self.addCleanup(self.manager.stop)


def wait_for(check, timeout=20, interval=0.02, what='condition'):
    """Poll ``check()`` until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('Timed out waiting for %s' % what)
        time.sleep(interval)


def wait_for_stack(engine_manager, context, identity, status,
                   timeout=20):
    """Wait until the stack's status is not *_IN_PROGRESS; check it."""
    def settled():
        stack = engine_manager.show_stack(context, identity)
        if not stack['stack_status'].endswith('_IN_PROGRESS'):
            return stack
    stack = wait_for(settled, timeout, what='stack %s' % status)
    if stack['stack_status'] != status:
        raise AssertionError('Stack is %s (%s), expected %s' % (
            stack['stack_status'], stack['stack_status_reason'], status))
    return stack


def wait_for_snapshot(engine_manager, context, identity, snapshot_id,
                      status='COMPLETE', timeout=20):
    def settled():
        snap = engine_manager.show_snapshot(context, identity, snapshot_id)
        if snap['status'] != 'IN_PROGRESS':
            return snap
    snap = wait_for(settled, timeout, what='snapshot %s' % status)
    if snap['status'] != status:
        raise AssertionError('Snapshot is %s (%s), expected %s' % (
            snap['status'], snap['status_reason'], status))
    return snap


def wait_for_snapshot_gone(engine_manager, context, identity, snapshot_id,
                           timeout=20):
    def gone():
        try:
            engine_manager.show_snapshot(context, identity, snapshot_id)
        except exception.SnapshotIdNotFound:
            return True
        return False
    wait_for(gone, timeout, what='snapshot %s deleted' % snapshot_id)
