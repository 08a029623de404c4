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

"""The fault suite's base test: issue 11, item 8.

``FaultSuiteTest`` runs on faults.FaultSuiteDeployment (heat-snapshots-api
and three engines run by fault_engine.py on MariaDB and RabbitMQ, 1 s
heartbeats, 4 s engine down time, 32 snapshots per stack at most). Each
test is one scenario of item 8; at its end (pass or fail) it observes, in
the database, the artifact store, the engines' logs and the fault hook's
write logs:

* ``in_progress_after_recovery``: snapshots, stacks, resources and
  resource snapshot rows IN_PROGRESS, and stack locks left;
* ``artifacts_unrecorded``: artifacts of hs_artifacts that no resource
  snapshot row names while their snapshot exists, or whose snapshot is gone
  and that the reconciler did not remove either;
* ``artifacts_missing_from_complete``: artifacts named by a resource row of
  a COMPLETE snapshot but gone from hs_artifacts;
* ``resources_snapshotted_twice``: ``Snapshot <id>: resource <name>
  started on host`` logged twice for one (snapshot, resource) since the
  test started, or two artifacts for one (snapshot, resource);
* ``snapshots_over_limit``: snapshots of a stack beyond the limit;
* ``fenced_writes``: set by the scenarios that fence an engine.

and records them with faults.record_figures; ``python -m
heat_snapshots.tests.functional.faults --suite`` prints the figures line.
"""

import collections
import json
import os
import re
import shutil
import time

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import faults
from heat_snapshots.tests.functional import waiters

STARTED_ON_HOST = re.compile(
    r'Snapshot (?P<snapshot>\S+): resource (?P<resource>\S+) started on '
    r'host')
ENGINE_DOWN = 'Engine went down'

# An operation with one injected database error ends within this.
BOUND = 30
# What a cleanup waits for a stack or snapshot to go.
CLEANUP_TIMEOUT = 40
# Unexpected errors are reported generically: none of this may show.
INTERNALS = ('sqlalchemy', 'pymysql', 'OperationalError', 'SELECT ',
             'UPDATE hs_', 'INSERT INTO', 'Traceback', 'sqlalche.me')

ENGINES = ('heat-snapshots-engine-1', 'heat-snapshots-engine-2',
           'heat-snapshots-engine-3')


def test_resource(value='v', depends_on=None, **waits):
    return base.test_resource(value, depends_on, **waits)


class FaultSuiteTest(base.FaultTestBase):
    """One scenario of the fault suite; figures observed at its end."""

    deployment_name = faults.SUITE_NAME
    #: Issue 11 item 8's bullet this scenario covers (1..8, see .ci/run).
    item = None

    def setUp(self):
        # Longer than the other tests' OS_TEST_TIMEOUT, as the real-Heat
        # tests have.
        saved = os.environ.get('OS_TEST_TIMEOUT')
        os.environ['OS_TEST_TIMEOUT'] = os.environ.get(
            'HS_FUNCTIONAL_FAULT_TIMEOUT', '300')
        try:
            super().setUp()
        finally:
            if saved is None:
                os.environ.pop('OS_TEST_TIMEOUT', None)
            else:
                os.environ['OS_TEST_TIMEOUT'] = saved
        self.deployment.clear_rules()
        self.addCleanup(self.deployment.clear_rules)
        # Engines left under faketime by a failed test run normally again.
        for name, process in self._engines().items():
            if self.deployment.clock_offset(process) is not None:
                self.deployment.restart_engine(name)
        self.started_at = time.time()
        #: Ids of the stacks this test made: its figures are about them.
        self.stacks = set()
        self._log_offsets = {}
        for name in ENGINES:
            try:
                self._log_offsets[name] = os.path.getsize(
                    self.deployment.engine(name).log_path)
            except OSError:
                self._log_offsets[name] = 0
        self.figures.update({'suite_item': self.item,
                             'scenario': self.id().rsplit('.', 1)[-1]})
        # Runs before _record_figures (cleanups run last in, first out).
        self.addCleanup(self._observe)

    def _engines(self):
        return {p.name: p for p in self.deployment.engine_processes()}

    # --- bounded cleanups -------------------------------------------------

    def delete_stack(self, stack, caller=None):
        caller = caller or self.caller
        response = caller.delete('/stacks/%s' % stack)
        if response.status_code == 404:
            return
        try:
            waiters.wait_for_stack_deleted(caller, stack,
                                           timeout=CLEANUP_TIMEOUT)
        except AssertionError:
            # Once more (a stopped delete resumes); the figures tell.
            caller.delete('/stacks/%s' % stack)

    def delete_snapshot(self, stack, snapshot_id, caller=None, tenant=None):
        caller = caller or self.caller
        response = caller.delete('/stacks/%s/snapshots/%s'
                                 % (stack, snapshot_id), tenant=tenant)
        if response.status_code != 204:
            return
        try:
            waiters.wait_for_snapshot_deleted(caller, stack, snapshot_id,
                                              timeout=CLEANUP_TIMEOUT)
        except AssertionError:
            pass

    # --- faults -------------------------------------------------------------

    def inject(self, match, error=None, skip=0, count=1, sleep=0,
               engines=None, rule_id='r'):
        rule = {'id': rule_id, 'match': match, 'skip': skip, 'count': count,
                'fired': []}
        if error:
            rule['error'] = error
        if sleep:
            rule['sleep'] = sleep
        if engines:
            rule['engines'] = list(engines)
        self.deployment.set_rules([rule])
        return rule

    def fired(self):
        return [fire for rule in self.deployment.rules()
                for fire in rule.get('fired', ())]

    def assertFired(self, what, timeout=BOUND):
        try:
            fired = faults.wait_for(self.fired, 'fault fired', timeout,
                                    interval=0.1)
        except AssertionError:
            self.fail('the fault (%s) never fired within %s s: the '
                      'operation made no such statement' % (what, timeout))
        self.figures['faults_fired'] = len(fired)
        return fired

    # --- waits and checks ---------------------------------------------------

    def wait_snapshot_terminal(self, snapshot_id, timeout=BOUND):
        def terminal():
            row = self.db.snapshot(snapshot_id)
            if row is None:
                return {'gone': True}
            if row['status'] == 'IN_PROGRESS':
                return None
            return row
        return faults.wait_for(terminal, 'snapshot %s COMPLETE or FAILED'
                               % snapshot_id, timeout, interval=0.2)

    def wait_stack_terminal(self, stack, timeout=BOUND):
        stack_id = self.stack_id(stack)

        def terminal():
            row = self.db.stack(stack_id)
            if row is None:
                return {'action': 'DELETE', 'status': 'COMPLETE',
                        'status_reason': 'gone'}
            if row['status'] == 'IN_PROGRESS':
                return None
            return row
        return faults.wait_for(terminal, 'stack %s COMPLETE or FAILED'
                               % stack, timeout, interval=0.2)

    def assertClearReason(self, reason):
        self.assertTrue(reason, 'a FAILED status needs a reason')
        for internal in INTERNALS:
            self.assertNotIn(internal, reason,
                             'status_reason shows internals: %r' % reason)

    def create_stack(self, tmpl, *args, **kwargs):
        stack = super().create_stack(tmpl, *args, **kwargs)
        self.stacks.add(self.stack_id(stack))
        return stack

    def send(self, method, path, body=None, timeout=None, caller=None):
        """One request, sent again while the API answers 503."""
        caller = caller or self.caller

        def answer():
            try:
                response = caller.request(method, path, body)
            except Exception:  # nosec: the API reconnecting
                return None
            return None if response.status_code == 503 else [response]
        return faults.wait_for(answer, '%s %s answered' % (method, path),
                               timeout or faults.RECOVERY_TIME,
                               interval=0.5)[0]

    def wait_settled(self, timeout=BOUND):
        """Nothing of this test's stacks IN_PROGRESS, no lock left."""
        def settled():
            return not self.in_progress_rows()
        try:
            faults.wait_for(settled, 'nothing IN_PROGRESS, no lock left',
                            timeout, interval=0.3)
        except AssertionError:
            left = self.in_progress_rows()
            # Counted now: the test's cleanups delete its stacks before
            # the figures are observed.
            self._count_in_progress(left)
            self.fail('left IN_PROGRESS or locked after %s s: %s'
                      % (timeout, left))

    def _count_in_progress(self, left):
        if len(left) >= self.figures.get('in_progress_after_recovery', 0):
            self.figures['in_progress_after_recovery'] = len(left)
            if left:
                self.figures['left_in_progress'] = [
                    str(row) for row in left][:10]

    def in_progress_rows(self):
        """This test's stacks, snapshots and rows IN_PROGRESS; locks held.

        A stack's lock row is kept once made (its generation only grows):
        a row with no engine is a free stack.
        """
        if not self.stacks:
            return []
        ids = ', '.join("'%s'" % stack_id for stack_id in self.stacks)
        return self.db.rows_retrying(
            "SELECT 'snapshot' AS kind, id, action, stack_id "
            "FROM hs_snapshots WHERE status = 'IN_PROGRESS' "
            "AND stack_id IN (%(ids)s) UNION ALL "
            "SELECT 'stack', id, action, id FROM hs_local_stacks "
            "WHERE status = 'IN_PROGRESS' AND id IN (%(ids)s) UNION ALL "
            "SELECT 'resource', name, action, stack_id "
            "FROM hs_local_resources WHERE status = 'IN_PROGRESS' "
            "AND stack_id IN (%(ids)s) UNION ALL "
            "SELECT 'resource snapshot', r.resource_name, r.action, "
            "s.stack_id FROM hs_resource_snapshots r JOIN hs_snapshots s "
            "ON s.id = r.snapshot_id WHERE r.status = 'IN_PROGRESS' "
            "AND s.stack_id IN (%(ids)s) UNION ALL "
            "SELECT 'lock', engine_id, action, stack_id FROM hs_stack_locks "
            "WHERE engine_id IS NOT NULL AND stack_id IN (%(ids)s)"
            % {'ids': ids})

    def assertGone(self, stack, snapshot_id, timeout=BOUND):
        """DELETE the snapshot until it answers 404 (a 204 must work)."""
        path = '/stacks/%s/snapshots/%s' % (stack, snapshot_id)
        deadline = time.monotonic() + timeout
        answers = []
        while time.monotonic() < deadline:
            response = self.api('DELETE', path, None)
            answers.append(response.status_code)
            if response.status_code == 404:
                break
            self.assertIn(response.status_code, (204, 400), response.text)
            try:
                waiters.wait_for_snapshot_deleted(
                    self.caller, stack, snapshot_id,
                    timeout=max(1, deadline - time.monotonic()))
                break
            except waiters.UnexpectedStatus:
                # DELETE_FAILED: the next DELETE resumes it.
                continue
            except waiters.TimeoutException:
                self.fail('DELETE of snapshot %s answered %s but it was '
                          'not deleted within %s s' % (snapshot_id, answers,
                                                       timeout))
        self.api('GET', path, 404)
        self.assertIsNone(self.db.snapshot(snapshot_id))
        self.assertEqual([], self.db.artifacts(snapshot_id))

    def engine_log(self, name):
        path = self.deployment.engine(name).log_path
        with open(path, errors='replace') as f:
            f.seek(self._log_offsets.get(name, 0))
            return f.read()

    def engine_logs(self):
        return {name: self.engine_log(name) for name in ENGINES}

    # --- figures --------------------------------------------------------

    def _observe(self):
        try:
            self._observe_figures()
        except Exception as error:  # nosec: recorded, the test tells more
            self.figures['observe_error'] = str(error)
            raise

    def _artifacts(self):
        """This test's artifacts (their content names the stack)."""
        found = []
        for row in self.db.rows_retrying(
                'SELECT id, snapshot_id, resource_name, content '
                'FROM hs_artifacts'):
            content = row.pop('content')
            if isinstance(content, str):
                content = json.loads(content)
            if (content or {}).get('stack_id') in self.stacks:
                found.append(row)
        return found

    def _observe_figures(self):
        figures = self.figures
        self._count_in_progress(self.in_progress_rows())
        if not self.stacks:
            return
        ids = ', '.join("'%s'" % stack_id for stack_id in self.stacks)
        snapshots = {row['id'] for row in self.db.rows_retrying(
            'SELECT id FROM hs_snapshots WHERE stack_id IN (%s)' % ids)}

        # Artifacts whose snapshot is gone are the reconciler's: give it
        # a few rounds.
        def reconciled():
            return not [a for a in self._artifacts()
                        if a['snapshot_id'] not in snapshots]
        try:
            faults.wait_for(reconciled, 'orphans reconciled',
                            3 * faults.RECONCILE_INTERVAL + 2, interval=0.5)
        except AssertionError:
            pass
        artifacts = self._artifacts()
        existing = {row['id'] for row in artifacts}
        named = collections.defaultdict(set)
        missing = 0
        for row in self.db.rows_retrying(
                'SELECT r.snapshot_id, r.data, s.status '
                'FROM hs_resource_snapshots r JOIN hs_snapshots s '
                'ON s.id = r.snapshot_id WHERE s.stack_id IN (%s)' % ids):
            data = row['data']
            if isinstance(data, str):
                data = json.loads(data)
            artifact_id = (data or {}).get('artifact_id')
            if artifact_id:
                named[row['snapshot_id']].add(artifact_id)
                if row['status'] == 'COMPLETE' and \
                        artifact_id not in existing:
                    missing += 1
        unrecorded = [a for a in artifacts
                      if a['id'] not in named[a['snapshot_id']]]
        figures['artifacts_unrecorded'] = len(unrecorded)
        if unrecorded:
            figures['unrecorded'] = [str(a) for a in unrecorded][:10]
        figures['artifacts_missing_from_complete'] = max(
            missing, figures.get('artifacts_missing_from_complete', 0))

        started = collections.Counter()
        for text in self.engine_logs().values():
            for match in STARTED_ON_HOST.finditer(text):
                started[(match.group('snapshot'),
                         match.group('resource'))] += 1
        per_resource = collections.Counter(
            (a['snapshot_id'], a['resource_name']) for a in artifacts)
        calls = collections.Counter(
            (c['snapshot'], c['resource'])
            for c in self.deployment.calls(since=self.started_at)
            if c['call'] == 'handle_snapshot')
        twice = {key for key, n in started.items() if n > 1}
        twice |= {key for key, n in calls.items() if n > 1}
        twice |= {key for key, n in per_resource.items() if n > 1}
        figures['resources_snapshotted_twice'] = len(twice)

        over = 0
        for row in self.db.rows_retrying(
                'SELECT stack_id, COUNT(*) AS n FROM hs_snapshots '
                'WHERE stack_id IN (%s) GROUP BY stack_id' % ids):
            over += max(0, row['n'] - faults.SUITE_MAX_SNAPSHOTS)
        figures['snapshots_over_limit'] = max(
            over, figures.get('snapshots_over_limit', 0))


def skip_unless_faketime(test):
    if shutil.which('faketime') is None or faults.libfaketime() is None:
        message = 'faketime is not installed (apt-get install faketime)'
        if config.in_ci():
            test.fail(message)
        test.skipTest(message)
