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

"""Fault injection: engines killed mid-operation, servers restarted.

Runs on faults.FaultDeployment: heat-snapshots-api and two
heat-snapshots-engine processes on RabbitMQ and MariaDB, with 1 s
heartbeats, a 4 s engine down time, a 2 s reconciler and a 5 s RPC
timeout, so that the work of a dead engine is failed or finished within
seconds.

``EngineFaultTest`` kills (SIGKILL) the engine doing the work at each phase
of a snapshot, a restore, a snapshot delete and a stack create, update and
delete, held there by an ``OS::Heat::TestResource`` waiting; either the
other engine takes the work over, or every engine is killed and started
again. After the recovery period every test checks, in the database
itself: nothing IN_PROGRESS, no stack lock left, every artifact in
hs_artifacts named by a snapshot's resource row (or deleted); and, through
the API, that the affected snapshot can be deleted (404 after) and a new
snapshot of the stack succeeds.

``ServerRestartTest`` restarts RabbitMQ and MariaDB during a snapshot;
it holds the shared servers for itself (service_lock.py), so no other test
of any process runs on them meanwhile, and always starts them again.

Each test appends its figures (kills and their phases, operations left
IN_PROGRESS, unreferenced artifacts) to faults.FIGURES_PATH as a JSON line,
prints it and attaches it to the test's details;
``python -m heat_snapshots.tests.functional.faults`` sums them up.
"""

import shutil
import time

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import faults

# The fault test base and its helpers (base.py), under the names used here.
ENGINE_DOWN = base.ENGINE_DOWN
HOLD = base.HOLD
SHORT_HOLD = base.SHORT_HOLD
FaultTestBase = base.FaultTestBase
test_resource = base.test_resource


class EngineFaultTest(FaultTestBase):
    """An engine killed (SIGKILL) in each phase of each operation."""

    def _held_snapshot(self, tmpl, held):
        """A snapshot of a new stack, held by resource ``held``.

        :returns: (stack, snapshot id, the snapshot's row) once the
            resource's artifact is recorded and it waits.
        """
        stack = self.create_stack(tmpl)
        snapshot_id = self.start_snapshot(stack)

        def waiting():
            row = self.db.resource_snapshots(snapshot_id).get(held)
            if not row or row['status'] != 'IN_PROGRESS' or \
                    not (row['data'] or {}).get('artifact_id'):
                return None
            return self.db.snapshot(snapshot_id)
        return stack, snapshot_id, self.wait_db(
            waiting, 'resource %s of snapshot %s waiting' % (held,
                                                             snapshot_id))

    def _unhold(self, stack, tmpl):
        """Update the stack to ``tmpl`` (no waits), which must work."""
        self.update_stack(stack, tmpl)

    def test_kill_all_engines_while_snapshot_waits(self):
        # Every engine dies; the engines started again fail the snapshot.
        stack, snapshot_id, row = self._held_snapshot(
            base.template({'test': test_resource(snapshot=HOLD)}), 'test')
        self.kill_all_engines('snapshot: resource waiting, artifact '
                              'recorded')
        self.deployment.start_engines()

        self.assertRecovered(stack, [snapshot_id])
        self.assertSnapshotFailedByRecovery(stack, snapshot_id)
        self.assertStackFailedByRecovery(stack, 'SNAPSHOT')
        self.assertEqual(1, len(self.db.artifacts(snapshot_id)))
        self.assertSnapshotDeletable(stack, snapshot_id)
        self._unhold(stack, base.template({'test': test_resource()}))
        self.assertNewSnapshotWorks(stack)

    def test_kill_engine_right_after_artifact_recorded(self):
        # The first resource's artifact appears: its engine dies that
        # instant; the second engine takes the work over.
        tmpl = base.template({
            'first': test_resource(),
            'second': test_resource(depends_on=['first'], snapshot=HOLD)})
        stack = self.create_stack(tmpl)
        snapshot_id = self.start_snapshot(stack)
        artifact = faults.wait_for(
            lambda: self.db.artifacts(snapshot_id), 'an artifact of %s'
            % snapshot_id, faults.RECOVERY_TIME, interval=0.002)
        engine_id = self.db.snapshot(snapshot_id)['engine_id']
        name = self.kill_engine_of(engine_id, 'snapshot: artifact just '
                                              'made')
        rows = self.db.resource_snapshots(snapshot_id)
        self.figures['artifact_id_recorded_at_kill'] = bool(
            (rows.get(artifact[0]['resource_name'], {}).get('data') or {})
            .get('artifact_id'))

        self.assertRecovered(stack, [snapshot_id])
        self.assertSnapshotFailedByRecovery(stack, snapshot_id)
        self.assertStackFailedByRecovery(stack, 'SNAPSHOT')
        self.assertSnapshotDeletable(stack, snapshot_id)
        self.deployment.start_engine(name)
        self._unhold(stack, base.template({
            'first': test_resource(),
            'second': test_resource(depends_on=['first'])}))
        self.assertNewSnapshotWorks(stack, artifacts=2)

    def test_kill_engine_while_restore_waits(self):
        stack = self.create_stack(base.template({
            'test': test_resource(restore=HOLD)}))
        snapshot = self.snapshot(stack)
        stack_id = self.stack_id(stack)
        response = self.caller.post('/stacks/%s/snapshots/%s/restore'
                                    % (stack, snapshot['id']))
        self.assertStatus(202, response)

        def restoring():
            rows = self.db.rows_retrying(
                "SELECT action, status FROM hs_local_resources WHERE "
                "stack_id = :id AND name = 'test'", id=stack_id)
            locks = self.db.locks(stack_id)
            if rows and (rows[0]['action'], rows[0]['status']) == (
                    'RESTORE', 'IN_PROGRESS') and locks:
                return locks[0]
            return None
        lock = self.wait_db(restoring, 'resource test restoring')
        name = self.kill_engine_of(lock['engine_id'],
                                   'restore: resource waiting')

        self.assertRecovered(stack, [snapshot['id']])
        self.assertStackFailedByRecovery(stack, 'RESTORE')
        # The snapshot itself is untouched by the failed restore.
        self.assertEqual('COMPLETE', self.show_snapshot(
            stack, snapshot['id'])['status'])
        self.assertSnapshotDeletable(stack, snapshot['id'])
        self.deployment.start_engine(name)
        self.assertNewSnapshotWorks(stack)

    def test_kill_engine_while_snapshot_delete_waits(self):
        # The artifact is gone, the row not yet: the delete is resumed.
        stack = self.create_stack(base.template({
            'test': test_resource(delete_snapshot=SHORT_HOLD)}))
        snapshot = self.snapshot(stack)
        self.assertEqual(1, len(self.db.artifacts(snapshot['id'])))
        response = self.caller.delete('/stacks/%s/snapshots/%s'
                                      % (stack, snapshot['id']))
        self.assertStatus(204, response)

        def deleting():
            row = self.db.snapshot(snapshot['id'])
            if row and row['action'] == 'DELETE' and \
                    not self.db.artifacts(snapshot['id']) and \
                    self.db.resource_snapshots(snapshot['id']):
                return row
            return None
        row = self.wait_db(deleting, 'snapshot %s delete waiting'
                           % snapshot['id'])
        name = self.kill_engine_of(row['engine_id'],
                                   'snapshot delete: resource waiting, '
                                   'artifact deleted')

        self.wait_db(lambda: self.db.snapshot(snapshot['id']) is None,
                     'delete of snapshot %s resumed' % snapshot['id'],
                     timeout=faults.RECOVERY_TIME + SHORT_HOLD)
        self.assertRecovered(stack, [snapshot['id']])
        self.assertSnapshotDeletable(stack, snapshot['id'])
        self.deployment.start_engine(name)
        self.assertNewSnapshotWorks(stack)

    def _kill_lock_holder(self, stack, action, phase, ready=None):
        stack_id = self.stack_id(stack)

        def working():
            row = self.db.stack(stack_id)
            locks = self.db.locks(stack_id)
            if row and (row['action'], row['status']) == (
                    action, 'IN_PROGRESS') and locks and \
                    (ready is None or ready()):
                return locks[0]
            return None
        lock = self.wait_db(working, 'stack %s %s_IN_PROGRESS'
                            % (stack, action))
        return self.kill_engine_of(lock['engine_id'], phase)

    def test_kill_engine_while_stack_create_waits(self):
        name = self.unique_name()
        body = self.heat.stacks.create(
            stack_name=name,
            template=base.template({'test': test_resource(create=HOLD)}))
        stack = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self.delete_stack, stack)
        killed = self._kill_lock_holder(stack, 'CREATE',
                                        'stack create: resource waiting')

        self.assertRecovered(stack)
        self.assertStackFailedByRecovery(stack, 'CREATE')
        self.deployment.start_engine(killed)
        self.delete_stack(stack)
        self.assertEqual([], self.db.locks(self.stack_id(stack)))

    def test_kill_engine_while_stack_update_waits(self):
        stack = self.create_stack(base.template({'test': test_resource()}))
        self.heat.stacks.update(stack, template=base.template({
            'test': test_resource(value='w', update=HOLD)}))
        killed = self._kill_lock_holder(stack, 'UPDATE',
                                        'stack update: resource waiting')

        self.assertRecovered(stack)
        self.assertStackFailedByRecovery(stack, 'UPDATE')
        self.deployment.start_engine(killed)
        self.assertNewSnapshotWorks(stack)

    def test_kill_engine_while_stack_delete_waits(self):
        # The stack's snapshots (and artifacts) go first, then the
        # resources; the engine dies while a resource's delete waits.
        stack = self.create_stack(base.template({
            'test': test_resource(delete=SHORT_HOLD)}))
        snapshot = self.snapshot(stack)
        self.heat.stacks.delete(stack)

        def snapshots_gone():
            return self.db.snapshot(snapshot['id']) is None
        killed = self._kill_lock_holder(stack, 'DELETE',
                                        'stack delete: resource waiting',
                                        ready=snapshots_gone)

        self.assertRecovered(stack)
        # A stack delete is resumed by the engine taking it over, not
        # failed: the stack ends deleted with no further request.
        shown = self.api('GET', '/stacks/%s' % stack, 200).json()['stack']
        self.assertEqual('DELETE_COMPLETE', shown['stack_status'])
        self.assertEqual([], self.db.artifacts(snapshot['id']))
        self.deployment.start_engine(killed)

    def test_api_503_while_no_engine_answers(self):
        stack = self.create_stack(base.template({'test': test_resource()}))
        for process in self.deployment.engine_processes():
            self.deployment.stop_engine(process.name)
        for path in ('/stacks', '/stacks/%s/snapshots' % stack):
            started = time.monotonic()
            response = self.caller.get(path)
            elapsed = time.monotonic() - started
            # No engine answered in time, or none even left its exchange.
            self.assertStatus(503, response)
            body = response.json()
            self.assertEqual(503, body['code'])
            self.assertIn(body['error']['type'],
                          ('EngineTimeout', 'ServiceUnavailable'))
            self.assertTrue(body['error']['message'])
            self.assertEqual('Service Unavailable', body['title'])
            self.assertIsNone(body['error']['traceback'])
            self.assertLess(elapsed, faults.RPC_TIMEOUT + 3)
            self.figures.setdefault('secs_to_503', []).append(
                round(elapsed, 1))
        self.deployment.start_engines()
        self.api('GET', '/stacks', 200)
        self.assertNewSnapshotWorks(stack)


class ServerRestartTest(FaultTestBase):
    """RabbitMQ and MariaDB restarted in the middle of a snapshot."""

    restarts_servers = True

    def setUp(self):
        missing = [tool for tool in ('rabbitmqctl', 'mysqladmin',
                                     'start-stop-daemon')
                   if shutil.which(tool) is None]
        if missing:
            message = ('restarting RabbitMQ and MariaDB needs %s'
                       % ', '.join(missing))
            if config.in_ci():
                self.fail(message)
            self.skipTest(message)
        super().setUp()
        # Whatever happens, the servers run again at the end.
        self.addCleanup(faults.ensure_mariadb)
        self.addCleanup(faults.ensure_rabbitmq)

    def _snapshot_across(self, restart, phase):
        """A snapshot held across ``restart()``, which must not hurt it."""
        hold = 8
        stack = self.create_stack(base.template({
            'test': test_resource(snapshot=hold)}))
        snapshot_id = self.start_snapshot(stack)
        self.wait_db(lambda: (self.db.resource_snapshots(snapshot_id)
                              .get('test', {}).get('data')),
                     'snapshot %s waiting' % snapshot_id)
        self.figures['phase'] = phase
        self.figures['server_down_secs'] = round(restart(), 1)
        self.figures['server_restarts'] += 1
        self.server_lock.record_restart()

        # The services reconnect by themselves and answer again.
        self.api('GET', '/stacks', 200, timeout=60)
        self.assertRecovered(stack, [snapshot_id])
        snapshot = self.api('GET', '/stacks/%s/snapshots/%s'
                            % (stack, snapshot_id), 200).json()['snapshot']
        self.figures['outcome'] = '%s_%s: %s' % (
            snapshot['action'], snapshot['status'], snapshot['status_reason'])
        self.assertIn(snapshot['status'], ('COMPLETE', 'FAILED'))
        # No engine went down: none may be taken for dead because the
        # servers were away for a while.
        self.assertNotEqual(ENGINE_DOWN % 'snapshot',
                            snapshot['status_reason'])
        # Later requests work: restore a complete snapshot, delete it.
        if snapshot['status'] == 'COMPLETE':
            self.restore(stack, snapshot_id)
        self.assertSnapshotDeletable(stack, snapshot_id)
        self.api('GET', '/stacks', 200)

    def test_rabbitmq_restart_during_snapshot(self):
        self._snapshot_across(lambda: faults.restart_rabbitmq(3),
                              'snapshot: resource waiting; RabbitMQ '
                              'stop_app, 3 s, start_app')

    def test_mariadb_restart_during_snapshot(self):
        self._snapshot_across(lambda: faults.restart_mariadb(2),
                              'snapshot: resource waiting; MariaDB '
                              'shutdown, 2 s, start')
