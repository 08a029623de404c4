# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""An engine manager on a fresh database, driven without RPC."""

import functools
import time

import fixtures
import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots import conf
from heat_snapshots.engine import manager

CONF = conf.CONF


class _Direct:
    """Calls the engine's endpoints as the RPC server would, minus the
    transport: a method of the stack endpoint there, any other on the
    manager (``_target``).

    Over RPC an expected exception reaches the caller as itself; called
    directly, @expected_exceptions wraps it, so unwrap it.
    """

    def __init__(self, target):
        self._target = target
        self._stacks = target.stack_endpoint

    def __getattr__(self, name):
        value = getattr(self._stacks, name, None)
        if not getattr(value, 'exposed', False):
            value = getattr(self._target, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args, **kwargs):
            try:
                return value(*args, **kwargs)
            except messaging.ExpectedException as e:
                raise e.exc_info[1]
        return call


class Engine(fixtures.Fixture):
    """Starts an EngineManager on the local driver; stops it afterwards."""

    def _setUp(self):
        engine_manager = manager.EngineManager(CONF)
        engine_manager.start()
        self.addCleanup(engine_manager.stop)
        self.manager = _Direct(engine_manager)


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
