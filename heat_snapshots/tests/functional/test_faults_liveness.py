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

"""Fault suite, items 2-4: engines that are alive must not be taken over,
and an engine that was taken over must write nothing more.

* Clock skew (item 2): one engine 5 minutes ahead, one 5 minutes behind
  (libfaketime); snapshots of several stacks all complete, and no engine
  calls another dead.
* A hung reconciler (item 3): the artifact listing of one engine's
  reconciler hangs for several times engine_down_time; its heartbeat goes
  on, nothing is taken over, its snapshots complete.
* SIGSTOP past engine_down_time (item 4): the frozen engine's snapshot is
  taken over (FAILED, the stack accepts an update on another engine); once
  SIGCONT'd it writes nothing: the fault hook's write log of that engine
  shows no write after the takeover (``fenced_writes``).
"""

import datetime
import re
import signal
import threading
import time

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import faults
from heat_snapshots.tests.functional import faults_suite
from heat_snapshots.tests.functional import waiters

# What an engine logs when it takes another's work for abandoned
# (engine/recovery.py: "Engine X left the SNAPSHOT of stack S; engine Y
# takes it over (generation N)", "Failed snapshot S, left being created by
# engine X", "Resuming the delete of snapshot S left by engine X"), and
# older wordings.
TAKEOVER = re.compile(r'(?i)(went down|died during|dead engine|taking over|'
                      r'took over|takes it over|take over|'
                      r'left being created by|resuming the delete)')
SKEW = {'heat-snapshots-engine-1': '+5m', 'heat-snapshots-engine-2': '-5m'}
SKEW_SECS = {'+5m': 300, '-5m': -300}
LISTENING_AT = re.compile(
    r'^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*Engine \S+ '
    r'listening on topic', re.MULTILINE)


class LivenessTest(faults_suite.FaultSuiteTest):

    def _watch_engines(self, stop, seen):
        """Sample hs_engines: every live engine's row, all along."""
        rounds = 0
        while not stop.is_set() and rounds < 600:
            rounds += 1
            ids = {row['id'] for row in self.db.rows_retrying(
                'SELECT id FROM hs_engines')}
            seen.append(ids)
            stop.wait(0.5)

    def _expected_ids(self):
        return {self.deployment.current_engine_id(name)
                for name in faults_suite.ENGINES}

    def assertNoTakeover(self, samples):
        logs = self.engine_logs()
        found = {name: TAKEOVER.findall(text)
                 for name, text in logs.items() if TAKEOVER.search(text)}
        self.figures['takeover_log_lines'] = sum(
            len(v) for v in found.values())
        self.assertEqual({}, found, 'an engine took another for dead')
        expected = self._expected_ids()
        missing = [expected - ids for ids in samples if expected - ids]
        self.assertEqual([], missing, 'engine rows deleted as dead')

    def _snapshots_of_stacks(self, count, hold):
        stacks = [self.create_stack(base.template({
            'test': faults_suite.test_resource(snapshot=hold)}))
            for _ in range(count)]
        snapshots = {stack: self.snapshot(stack, wait=False)['id']
                     for stack in stacks}
        return snapshots

    def _all_complete(self, snapshots, timeout):
        for stack, snapshot_id in snapshots.items():
            snapshot = waiters.wait_for_snapshot_status(
                self.caller, stack, snapshot_id, 'COMPLETE', timeout=timeout)
            self.assertEqual('COMPLETE', snapshot['status'])
            self.assertEqual(1, len(self.db.artifacts(snapshot_id)))

    def _clock_offset(self, name):
        """Seconds engine ``name``'s clock is ahead, from the time it
        logged (its own) when it started listening, just now.
        """
        with open(self.deployment.engine(name).log_path,
                  errors='replace') as f:
            found = LISTENING_AT.findall(f.read())
        logged = datetime.datetime.strptime(found[-1],
                                            '%Y-%m-%d %H:%M:%S.%f')
        return round((logged - datetime.datetime.now()).total_seconds())

    def test_clock_skew(self):
        # Item 2.
        self.item = self.figures['suite_item'] = 2
        faults_suite.skip_unless_faketime(self)
        offsets = {}
        for name, offset in SKEW.items():
            self.addCleanup(self.deployment.restart_engine, name)
            self.deployment.restart_engine(name, clock_offset=offset)
            offsets[name] = self._clock_offset(name)
        self.figures['clock_offsets'] = offsets
        # The engines run with their clocks off indeed.
        for name, offset in SKEW.items():
            self.assertLess(abs(offsets[name] - SKEW_SECS[offset]), 60,
                            offsets)
        self.figures['phase'] = 'engines at %s' % SKEW
        samples = []
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch_engines,
                                   args=(stop, samples))
        watcher.start()
        try:
            # Longer than engine_down_time, with work on every engine.
            for _ in range(2):
                snapshots = self._snapshots_of_stacks(
                    6, faults.ENGINE_DOWN_TIME + 2)
                self._all_complete(snapshots, faults.RECOVERY_TIME)
        finally:
            stop.set()
            watcher.join()
        self.wait_settled()
        self.assertNoTakeover(samples)
        by_engine = {row['engine_id'] for row in self.db.rows_retrying(
            'SELECT engine_id FROM hs_snapshots')}
        self.figures['engines_used'] = len(by_engine)

    def test_reconciler_hangs(self):
        # Item 3: engine 1's reconciler hangs in its listing.
        self.item = self.figures['suite_item'] = 3
        hang = 4 * faults.ENGINE_DOWN_TIME
        name = faults_suite.ENGINES[0]
        self.inject(r'^HOOK list_artifacts', sleep=hang, count=2,
                    engines=[name])
        self.figures['phase'] = ('reconciler listing hangs %s s twice on %s'
                                 % (hang, name))
        self.assertFired('the reconciler\'s listing',
                         timeout=3 * faults.RECONCILE_INTERVAL + 2)
        samples = []
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch_engines,
                                   args=(stop, samples))
        watcher.start()
        started = time.monotonic()
        try:
            snapshots = self._snapshots_of_stacks(6, 2)
            # They end while the listing still hangs.
            self._all_complete(snapshots, hang - 2)
            engine_id = self.deployment.current_engine_id(name)
            on_hung = [s for s in snapshots.values()
                       if self.db.snapshot(s)['engine_id'] == engine_id]
            self.figures['snapshots_on_hung_engine'] = len(on_hung)
            # Through the hang and past engine_down_time after it.
            remaining = hang + faults.ENGINE_DOWN_TIME - (
                time.monotonic() - started)
            time.sleep(max(0, remaining))
        finally:
            stop.set()
            watcher.join()
        self.wait_settled()
        self.assertNoTakeover(samples)
        for stack, snapshot_id in snapshots.items():
            self.assertEqual('COMPLETE',
                             self.show_snapshot(stack, snapshot_id)['status'])

    def test_sigstop_past_down_time(self):
        # Item 4.
        self.item = self.figures['suite_item'] = 4
        hold = 6
        stack = self.create_stack(base.template({
            'first': faults_suite.test_resource('a', snapshot=hold),
            'second': faults_suite.test_resource('b',
                                                 depends_on=['first'])}))
        stack_id = self.stack_id(stack)
        snapshot_id = self.start_snapshot(stack)

        def first_waiting():
            row = self.db.resource_snapshots(snapshot_id).get('first')
            if row and row['status'] == 'IN_PROGRESS' and \
                    (row['data'] or {}).get('artifact_id'):
                return self.db.snapshot(snapshot_id)
            return None
        row = self.wait_db(first_waiting, 'resource first waiting')
        process = self.deployment.engine_by_id(row['engine_id'])
        self.assertIsNotNone(process)
        # The writes it logs from here on, it makes once woken.
        offset = self.deployment.writes_offset(process.name)
        process.popen.send_signal(signal.SIGSTOP)
        stopped_at = time.time()
        self.addCleanup(process.popen.send_signal, signal.SIGCONT)
        self.figures['phase'] = ('snapshot: resource waiting; %s SIGSTOP'
                                 % process.name)

        def taken_over():
            found = self.db.snapshot(snapshot_id)
            return found if found['status'] != 'IN_PROGRESS' else None
        failed = self.wait_db(taken_over, 'snapshot %s taken over'
                              % snapshot_id)
        takeover_at = time.time()
        self.figures['takeover_secs'] = round(takeover_at - stopped_at, 1)
        self.assertEqual(('CREATE', 'FAILED'),
                         (failed['action'], failed['status']))
        self.assertIn('Engine went down', failed['status_reason'])
        # The stack accepts a new operation, on another engine.
        self.wait_db(lambda: not self.db.locks(stack_id), 'lock freed')
        self.heat.stacks.update(stack, template=base.template({
            'first': faults_suite.test_resource('a2', update=hold),
            'second': faults_suite.test_resource('b',
                                                 depends_on=['first'])}))
        self.wait_db(lambda: (self.db.stack(stack_id)['action'] ==
                              'UPDATE'), 'stack UPDATE_IN_PROGRESS')

        process.popen.send_signal(signal.SIGCONT)
        # What the woken engine would do: finish 'first', snapshot
        # 'second', write SNAPSHOT_COMPLETE.
        time.sleep(hold + 2)
        waiters.wait_for_stack_status(self.caller, stack, 'UPDATE_COMPLETE',
                                      timeout=faults.RECOVERY_TIME)
        time.sleep(2)

        # (A write committed before the SIGSTOP may be logged after it.)
        writes = self.deployment.writes(process.name, since=stopped_at,
                                        offset=offset)
        self.figures['fenced_writes'] = len(writes)
        self.figures['fenced_write_statements'] = [
            w['statement'][:60] for w in writes][:10]
        after = self.db.snapshot(snapshot_id)
        self.assertEqual(('CREATE', 'FAILED'),
                         (after['action'], after['status']))
        shown = self.show_stack(stack)
        self.assertEqual('UPDATE_COMPLETE', shown['stack_status'])
        self.assertNotIn('second', self.db.resource_snapshots(snapshot_id))
        self.assertEqual(['first'], [a['resource_name'] for a in
                                     self.db.artifacts(snapshot_id)])
        self.assertEqual([], writes, 'the fenced engine wrote')
        self.wait_settled()
        self.assertGone(stack, snapshot_id)
