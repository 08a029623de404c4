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

"""heat-snapshots' extension to a stack's snapshots, through the API of a
real service: per-resource progress, cancel, paging of the list.
"""

import os
import sys
import time

import sqlalchemy as sa

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import waiters

# The deployments' [heat_snapshots] walk_concurrency (the default).
WALK_CONCURRENCY = 10
# Resources of the cancelled snapshot; the first ten end one after another
# (STAGGER seconds apart), the others would wait for ever.
COUNT = 50
STAGGER = 2
CANCEL_AFTER = 5
HOLD = 600


def _report(line):
    # The process's stderr (fd 2): sys.stderr may be a capture stream.
    sys.stderr.flush()
    os.write(2, ('heat-snapshots snapshot operations: %s\n'
                 % line).encode())


class SnapshotOperationsTest:

    def path(self, stack, snapshot_id=None, tail=''):
        path = '/stacks/%s/snapshots' % stack
        if snapshot_id is not None:
            path += '/%s' % snapshot_id
        return path + tail

    def progress(self, stack, snapshot_id, caller=None):
        response = (caller or self.caller).get(
            self.path(stack, snapshot_id, '/resources'))
        self.assertStatus(200, response)
        return {r['name']: r for r in response.json()['resources']}

    def artifacts(self, snapshot_id):
        """The snapshot's artifacts in the local store, or None when the
        test cannot read the deployment's database.
        """
        url = getattr(self.deployment, 'db_url', None)
        if url is None:
            return None
        engine = sa.create_engine(str(url))
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(
                    'SELECT resource_name FROM hs_artifacts WHERE '
                    'snapshot_id = :id'), {'id': snapshot_id}).scalars(
                ).all()
        finally:
            engine.dispose()

    def test_cancel_a_snapshot_of_slow_resources(self):
        resources = {}
        for n in range(COUNT):
            wait = 1 + STAGGER * n if n < WALK_CONCURRENCY else HOLD
            resources['r%02d' % n] = base.test_resource(
                'v%d' % n, snapshot=wait)
        stack = self.create_stack(base.template(resources))
        started_at = time.monotonic()
        snapshot = self.snapshot(stack, wait=False)
        snapshot_id = snapshot['id']

        def five_done():
            rows = self.progress(stack, snapshot_id)
            done = [r for r in rows.values() if r['status'] == 'COMPLETE']
            return len(done) >= CANCEL_AFTER, rows
        seen = None
        while True:
            done, seen = five_done()
            if done:
                break
            self.assertLess(time.monotonic() - started_at, 120,
                            'no %d resources done: %s' % (CANCEL_AFTER,
                                                          seen))
            time.sleep(0.1)
        cancel_at = time.monotonic() - started_at
        response = self.caller.post(self.path(stack, snapshot_id,
                                              '/cancel'))
        self.assertStatus(202, response)
        # (The walk may refill a slot between that read and the cancel.)
        seen_at_cancel = len(seen)

        ended = waiters.wait_for_snapshot_status(
            self.caller, stack, snapshot_id, 'FAILED')
        ended_at = time.monotonic() - started_at
        self.assertEqual('Cancelled by request', ended['status_reason'])
        shown = self.show_stack(stack)
        self.assertEqual(('SNAPSHOT_FAILED', 'Cancelled by request'),
                         (shown['stack_status'],
                          shown['stack_status_reason']))

        rows = self.progress(stack, snapshot_id)
        complete = sorted(n for n, r in rows.items()
                          if r['status'] == 'COMPLETE')
        cancelled = sorted(n for n, r in rows.items()
                           if r['status'] == 'FAILED')
        with_artifact = sorted(n for n, r in rows.items()
                               if r['artifact_id'])
        self.assertEqual(len(rows), len(complete) + len(cancelled))
        for name in cancelled:
            self.assertEqual('Cancelled by request',
                             rows[name]['status_reason'])
            self.assertIsNotNone(rows[name]['finished_at'])
        # Every artifact made is recorded: those of the finished
        # resources; the others abandoned theirs.
        self.assertEqual(complete, with_artifact)
        self.assertGreaterEqual(len(complete), CANCEL_AFTER)
        # The walk stopped starting resources: at most the ones running
        # when the fifth ended (it refills its slots at once).
        self.assertLessEqual(len(rows), len(complete) + WALK_CONCURRENCY)
        stored = self.artifacts(snapshot_id)
        if stored is not None:
            self.assertEqual(complete, sorted(stored))
        self.assertEqual(
            {'FAILED'}, {ended['data']['resources'][name]['status']
                         for name in cancelled})

        response = self.caller.post(self.path(stack, snapshot_id,
                                              '/cancel'))
        self.assertError(409, 'NothingToCancel', response)

        self.delete_snapshot(stack, snapshot_id)
        remaining = self.artifacts(snapshot_id)
        if remaining is not None:
            self.assertEqual([], remaining)
        _report('deployment=%s resources=%d walk_concurrency=%d '
                'cancel_after_complete=%d seen_started_at_cancel=%d '
                'cancel_at=%.1fs failed_at=%.1fs '
                'started=%d complete=%d cancelled=%d artifacts_recorded=%d '
                'artifacts_in_store=%s artifacts_after_delete=%s'
                % (self.deployment_name, COUNT, WALK_CONCURRENCY,
                   CANCEL_AFTER, seen_at_cancel, cancel_at, ended_at,
                   len(rows),
                   len(complete), len(cancelled), len(with_artifact),
                   'n/a' if stored is None else len(stored),
                   'n/a' if remaining is None else len(remaining)))

    def test_progress_of_snapshot_restore_and_delete(self):
        stack = self.create_stack(base.template({
            'a': base.test_resource('a'),
            'b': base.test_resource('b', depends_on=['a']),
            'c': {'type': 'OS::Heat::None'}}))
        snapshot = self.snapshot(stack, name='one')
        rows = self.progress(stack, snapshot['id'])
        self.assertEqual({'a', 'b', 'c'}, set(rows))
        for row in rows.values():
            self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                             (row['action'], row['status']))
            self.assertIsNotNone(row['started_at'])
            self.assertIsNotNone(row['finished_at'])
            self.assertLessEqual(row['started_at'], row['finished_at'])
        self.assertEqual('OS::Heat::TestResource', rows['a']['type'])
        self.assertIsNotNone(rows['a']['artifact_id'])
        self.assertIsNone(rows['c']['artifact_id'])
        # b waits for a: it cannot start before a ended.
        self.assertGreaterEqual(rows['b']['started_at'],
                                rows['a']['finished_at'])

        self.restore(stack, snapshot['id'])
        rows = self.progress(stack, snapshot['id'])
        self.assertEqual({'RESTORE'}, {r['action'] for r in rows.values()})
        self.assertEqual({'COMPLETE'}, {r['status'] for r in rows.values()})
        # Heat's own answer is unchanged.
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         self.show_snapshot(stack, snapshot['id'])
                         ['status_reason'])
        # Nothing runs: nothing to cancel.
        response = self.caller.post(self.path(stack, snapshot['id'],
                                              '/cancel'))
        self.assertError(409, 'NothingToCancel', response)

    def test_not_found_and_other_projects(self):
        stack = self.create_stack(base.none_template())
        snapshot = self.snapshot(stack)
        other = self.create_stack(base.none_template())
        # Not found as Heat's show of the snapshot answers: no such
        # snapshot, or one of another stack.
        for path in (self.path(stack, 'no-such-snapshot'),
                     self.path(other, snapshot['id'])):
            show = self.caller.get(path)
            self.assertEqual(404, show.status_code)
            for method, tail in (('GET', '/resources'),
                                 ('POST', '/cancel')):
                response = self.caller.request(method, path + tail)
                self.assertError(404, show.json()['error']['type'],
                                 response,
                                 show.json()['error']['message'])
        # Another project answers as for Heat's own show of the snapshot.
        alt = self.alt_caller()
        show = alt.get(self.path(stack, snapshot['id']),
                       tenant=self.caller.project_id)
        for method, tail in (('GET', '/resources'), ('POST', '/cancel')):
            response = alt.request(method,
                                   self.path(stack, snapshot['id'], tail),
                                   tenant=self.caller.project_id)
            self.assertEqual(show.status_code, response.status_code)
        # A reader may look, not cancel.
        if not self.caller.token_auth:
            reader = clients.noauth_caller(self.deployment.endpoint,
                                           self.caller.project_id,
                                           roles='reader')
            self.assertStatus(200, reader.get(
                self.path(stack, snapshot['id'], '/resources')))
            self.assertStatus(403, reader.post(
                self.path(stack, snapshot['id'], '/cancel')))

    def test_paging_sorting_and_filters_of_the_list(self):
        stack = self.create_stack(base.none_template())
        made = [self.snapshot(stack, name=name)['id']
                for name in ('b', 'a', 'c')]
        # Heat's list, unordered as Heat's is.
        listed = self.caller.get(self.path(stack)).json()['snapshots']
        self.assertEqual(sorted(made), sorted(s['id'] for s in listed))

        def page(query):
            response = self.caller.get(self.path(stack) + '?' + query)
            self.assertStatus(200, response)
            return response.json()['snapshots']

        def ids(query):
            return [s['id'] for s in page(query)]
        # A page is oldest first; snapshots made within one second (the
        # times MariaDB keeps) are in an order of their own, the same on
        # every page.
        first = page('limit=100')
        order = [s['id'] for s in first]
        self.assertEqual(sorted(made), sorted(order))
        times = [s['creation_time'] for s in first]
        self.assertEqual(sorted(times), times)
        self.assertEqual(order[:2], ids('limit=2'))
        self.assertEqual(order[2:], ids('limit=2&marker=%s' % order[1]))
        self.assertEqual([made[1], made[0], made[2]], ids('sort_keys=name'))
        self.assertEqual([made[2], made[0], made[1]],
                         ids('sort_keys=name&sort_dir=desc'))
        self.assertEqual([made[1]], ids('name=a'))
        self.assertEqual(order, ids('status=COMPLETE'))
        self.assertEqual([], ids('status=FAILED'))
        for query in ('limit=x', 'limit=-1', 'sort_keys=id',
                      'sort_dir=up', 'status=DONE', 'marker=nope'):
            response = self.caller.get(self.path(stack) + '?' + query)
            self.assertEqual(400, response.status_code, query)
            self.assertEqual('Bad Request', response.json()['title'])


base.for_each_deployment(SnapshotOperationsTest, globals())
