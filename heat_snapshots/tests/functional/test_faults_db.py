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

"""Fault suite, item 1: database errors at each kind of write.

The engines' test-only hook (fault_engine.py) raises the driver's own
error (deadlock 1213, server gone 2006, connection lost 2013, or another
OperationalError) on the first statement (or the (skip+1)-th) that
matches a write of a snapshot, a restore, a snapshot delete or a stack
delete. Each operation must then end COMPLETE (the write retried) or
FAILED with a clear reason within faults_suite.BOUND; nothing may stay
IN_PROGRESS or locked; and a DELETE of the snapshot removes it (404
after), never a 204 that does nothing.
"""

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import faults_suite

ERRORS = ('deadlock', 'disconnect', 'lost', 'generic')

# A stack's lock row is made by its first operation (the stack's create)
# and kept: later operations take it with an UPDATE that raises its
# generation where no engine holds it, and let it go, in the transaction
# of their final state, with an UPDATE that empties its engine (db/api.py
# stack_lock_acquire, stack_lock_release).
LOCK_TAKEN = (r'^UPDATE hs_stack_locks SET engine_id=[^,]*, action=[^,]*, '
              r'generation=')
LOCK_RELEASED = (r'^UPDATE hs_stack_locks SET engine_id=[^,]*, '
                 r'action=[^,]*, snapshot_id=')
# A stack deleted lets go of its lock by removing the row (with the same
# condition on the holder and generation).
LOCK_FORGOTTEN = r'^DELETE FROM hs_stack_locks'
STACK_STATE = r'^UPDATE hs_local_stacks SET action='
# Each write of an operation first reads its lock's generation with a
# shared lock (db/api.py check_fence): a deadlock or a lost connection
# there is as likely as on the write itself.
FENCE_CHECK = (r'(?s)^SELECT hs_stack_locks\.generation .*'
               r'(FOR SHARE|LOCK IN SHARE MODE)')
# A snapshot delete holds no stack: its fence is the snapshot's claim.
DELETE_FENCE_CHECK = (r'(?s)^SELECT hs_snapshots\.id .*engine_id.*'
                      r'(FOR SHARE|LOCK IN SHARE MODE)')

# (operation, name, statement, matches let through first)
CASES = [
    ('snapshot', 'lock', LOCK_TAKEN, 0),
    ('snapshot', 'snapshot_row', r'^INSERT INTO hs_snapshots', 0),
    ('snapshot', 'stack_begin', STACK_STATE, 0),
    ('snapshot', 'resource_row', r'^INSERT INTO hs_resource_snapshots', 0),
    ('snapshot', 'artifact', r'^INSERT INTO hs_artifacts', 0),
    ('snapshot', 'resource_done', r'^UPDATE hs_resource_snapshots', 1),
    ('snapshot', 'stack_end', STACK_STATE, 1),
    ('snapshot', 'snapshot_end', r'^UPDATE hs_snapshots', 0),
    ('snapshot', 'unlock', LOCK_RELEASED, 0),
    ('restore', 'lock', LOCK_TAKEN, 0),
    ('restore', 'stack_begin', STACK_STATE, 0),
    ('restore', 'template', r'^UPDATE hs_local_stacks SET template', 0),
    ('restore', 'resource', r'^UPDATE hs_local_resources', 1),
    ('restore', 'stack_end', STACK_STATE, 1),
    ('restore', 'unlock', LOCK_RELEASED, 0),
    ('snapshot_delete', 'claim', r'^UPDATE hs_snapshots', 0),
    ('snapshot_delete', 'artifact', r'^DELETE FROM hs_artifacts', 0),
    ('snapshot_delete', 'resource_row',
     r'^DELETE FROM hs_resource_snapshots', 0),
    ('snapshot_delete', 'snapshot_row', r'^DELETE FROM hs_snapshots', 0),
    ('stack_delete', 'lock', LOCK_TAKEN, 0),
    ('stack_delete', 'stack_begin', STACK_STATE, 0),
    ('stack_delete', 'claim', r'^UPDATE hs_snapshots', 0),
    ('stack_delete', 'artifact', r'^DELETE FROM hs_artifacts', 0),
    ('stack_delete', 'snapshot_row', r'^DELETE FROM hs_snapshots', 0),
    ('stack_delete', 'resource', r'^DELETE FROM hs_local_resources', 0),
    ('stack_delete', 'stack_end', STACK_STATE, 1),
    ('stack_delete', 'unlock', LOCK_FORGOTTEN, 0),
    # The fence checks (last, so that the cases above keep their errors
    # and names), each read once per transaction. Mid-walk: in the
    # transaction of the first resource's outcome (after the request's
    # and the first resource's start).
    ('snapshot', 'fence_check', FENCE_CHECK, 2),
    # Before the first artifact's delete.
    ('snapshot_delete', 'fence_check', DELETE_FENCE_CHECK, 0),
    ('stack_delete', 'fence_check', FENCE_CHECK, 5),
]

TEMPLATE = base.template({
    'first': faults_suite.test_resource('a'),
    'second': faults_suite.test_resource('b', depends_on=['first'])})


class DatabaseFaultTest(faults_suite.FaultSuiteTest):
    """One injected error per test; the operation still ends."""

    item = 1

    def _run_case(self, operation, statement, skip, error):
        self.figures['phase'] = '%s: %s on %s (skip %d)' % (
            operation, error, statement, skip)
        getattr(self, '_' + operation)(statement, skip, error)
        self.wait_settled()

    def _snapshot(self, statement, skip, error):
        stack = self.create_stack(TEMPLATE)
        self.inject(statement, error, skip=skip)
        response = self.send('POST', '/stacks/%s/snapshots' % stack, {})
        self.assertFired(statement)
        if response.status_code != 200:
            # Refused at once: then nothing of it may be left.
            self.assertIn(response.status_code, (500, 503), response.text)
            # A 500 of an unexpected error has no message (api/fault.py):
            # internals stay in the log.
            body = response.json()
            self.assertClearReason(body['error'].get('message') or
                                   body.get('explanation'))
            self.wait_settled()
            self.assertEqual({}, self.list_snapshots(stack))
            self.assertNewSnapshotWorks(stack, artifacts=2)
            return
        snapshot_id = response.json()['id']
        row = self.wait_snapshot_terminal(snapshot_id)
        self.figures['outcome'] = row.get('status')
        if row.get('status') == 'FAILED':
            self.assertClearReason(row['status_reason'])
        else:
            self.assertEqual('COMPLETE', row.get('status'), row)
            self.assertEqual(2, len(self.db.artifacts(snapshot_id)))
        self.wait_stack_terminal(stack)
        self.wait_settled()
        self.assertGone(stack, snapshot_id)
        self.assertNewSnapshotWorks(stack, artifacts=2)

    def _restore(self, statement, skip, error):
        stack = self.create_stack(TEMPLATE)
        snapshot = self.snapshot(stack)
        self.inject(statement, error, skip=skip)
        response = self.send('POST', '/stacks/%s/snapshots/%s/restore'
                             % (stack, snapshot['id']))
        self.assertFired(statement)
        if response.status_code == 202:
            row = self.wait_stack_terminal(stack)
            self.figures['outcome'] = row['status']
            self.assertEqual('RESTORE', row['action'], row)
            if row['status'] == 'FAILED':
                self.assertClearReason(row['status_reason'])
        else:
            self.assertIn(response.status_code, (500, 503), response.text)
        self.wait_settled()
        # The snapshot is untouched, and can go.
        self.assertEqual('COMPLETE',
                         self.show_snapshot(stack, snapshot['id'])['status'])
        self.assertGone(stack, snapshot['id'])
        self.assertNewSnapshotWorks(stack, artifacts=2)

    def _snapshot_delete(self, statement, skip, error):
        stack = self.create_stack(TEMPLATE)
        snapshot = self.snapshot(stack)
        self.inject(statement, error, skip=skip)
        response = self.send('DELETE', '/stacks/%s/snapshots/%s'
                             % (stack, snapshot['id']))
        self.assertFired(statement)
        self.figures['outcome'] = response.status_code
        if response.status_code == 204:
            row = self.wait_snapshot_terminal(snapshot['id'])
            if not row.get('gone'):
                self.assertEqual(('DELETE', 'FAILED'),
                                 (row['action'], row['status']), row)
                self.assertClearReason(row['status_reason'])
        else:
            self.assertIn(response.status_code, (500, 503), response.text)
        self.wait_settled()
        # Gone, or the next DELETE resumes it: 404 in the end.
        self.assertGone(stack, snapshot['id'])
        self.assertNewSnapshotWorks(stack, artifacts=2)

    def _stack_delete(self, statement, skip, error):
        stack = self.create_stack(TEMPLATE)
        snapshot = self.snapshot(stack)
        self.inject(statement, error, skip=skip)
        response = self.send('DELETE', '/stacks/%s' % stack)
        self.assertFired(statement)
        if response.status_code == 204:
            row = self.wait_stack_terminal(stack)
            self.figures['outcome'] = row['status']
            if row['status'] == 'FAILED':
                self.assertClearReason(row['status_reason'])
        else:
            self.assertIn(response.status_code, (500, 503), response.text)
        self.wait_settled()
        # Once more if it stopped: it must end DELETE_COMPLETE.
        self.delete_stack(stack)
        row = self.db.stack(self.stack_id(stack))
        if row is not None:
            self.assertEqual(('DELETE', 'COMPLETE'),
                             (row['action'], row['status']), row)
        self.assertIsNone(self.db.snapshot(snapshot['id']))
        self.assertEqual([], self.db.artifacts(snapshot['id']))
        self.wait_settled()


def _make_test(operation, statement, skip, error):
    def test(self):
        self._run_case(operation, statement, skip, error)
    return test


for _number, (_operation, _name, _statement, _skip) in enumerate(CASES):
    _error = ERRORS[_number % len(ERRORS)]
    _test = _make_test(_operation, _statement, _skip, _error)
    _test.__name__ = 'test_%s_%s_%s' % (_operation, _name, _error)
    setattr(DatabaseFaultTest, _test.__name__, _test)
