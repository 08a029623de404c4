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

"""One client scenario through Heat alone and through Heat with the filter.

The same client, the same requests, the same stack (a ResourceGroup and a
template resource among its resources), against two deployments of one
real Heat 27 (heat_fixture.py):

* *heat-alone*: Heat's internal endpoint, Heat's own snapshot and
  restore;
* *heat+filter*: Heat's public endpoint, whose heat-api pipeline has
  heat-snapshots' filter: our engine does the snapshots and restores
  (through the internal endpoint).

At every step the client sees the same stack status sequence, the same
resource statuses and the same events (status and reason per stack and
resource). The scenario: create; snapshot; an update; a restore followed
at once by the client's own update (both land, in order: the client's
template is the stack's at the end); a stack delete (our snapshots go
with it). The log prints each deployment's status sequence.

Two restores in a row are not part of it: Heat 27 itself then sometimes
fails the stack with an IntegrityError of its own (raw_template still
referenced) under load.
"""

import collections
import copy
import itertools
import json
import logging
import time
import uuid

import sqlalchemy as sa
from testtools import content

from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import heat_base
from heat_snapshots.tests.functional import waiters

TIMEOUT = 180
# Steps whose resource events depend on Heat's own timing.
RACING_STEPS = ('restore+update',)
# Seconds a racing step's stack may show Heat's cancel of the superseded
# traversal before the superseding one counts as lost (see LostTraversal).
LOST_AFTER = 60
# Seconds after a deployment's first run in which a run Heat lost is
# started again (see run_until_kept): a CI run (2026-12-04) saw Heat alone
# lose two runs in a row, which the one retry before this did not survive.
RETRY_WITHIN = 300
TEST_TIMEOUT = 1200
LOG = logging.getLogger(__name__)

MEMBER = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'marker': {'type': 'OS::Heat::TestResource',
                   'properties': {'value': 'inner'}},
    },
}
FILES = {'member.yaml': json.dumps(MEMBER)}


def template(length=16, count=2, note='first'):
    return {
        'heat_template_version': '2018-08-31',
        'parameters': {'length': {'type': 'number', 'default': length}},
        'resources': {
            'secret': {'type': 'OS::Heat::RandomString',
                       'properties': {'length': {'get_param': 'length'}}},
            'note': {'type': 'OS::Heat::TestResource',
                     'properties': {'value': note}},
            'group': {'type': 'OS::Heat::ResourceGroup',
                      'properties': {
                          'count': count,
                          'resource_def': {'type': 'OS::Heat::None'}}},
            'inner': {'type': 'member.yaml'},
        },
    }


def cancelled(status, reason):
    """Whether an event is Heat's cancel of a superseded traversal."""
    return status.endswith('_FAILED') and 'cancelled' in (reason or '')


def settled(status):
    """A resource's status after a racing step, IN_PROGRESS and COMPLETE
    as one: the superseded traversal may have left a resource IN_PROGRESS
    that the superseding one then had nothing to change in (seen in a
    local CI run, 2026-12-03: Heat alone ``inner`` UPDATE_IN_PROGRESS
    under its stack's UPDATE_COMPLETE, with the filter UPDATE_COMPLETE;
    the stack events the same).
    """
    for suffix in ('_IN_PROGRESS', '_COMPLETE'):
        if status.endswith(suffix):
            return status[:-len(suffix)] + ' in progress or complete'
    return status


class LostTraversal(Exception):
    """Heat 27 lost the traversal that superseded another one.

    Seen in a local CI run (2026-12-01): the client's update superseded the
    restore's while the ResourceGroup's nested update ran; Heat cancelled
    the nested update, the superseded traversal failed the stack ("Stack
    UPDATE cancelled"), and the client's traversal logged "Re-trigger
    resource" and never went on. Heat's own race, with or without the
    filter (the requests heat-snapshots sent were GETs from then on).
    """


class Client:
    """The scenario's client on one deployment; records what it sees."""

    def __init__(self, test, name, caller):
        self.test = test
        self.name = name
        self.caller = caller
        self.stack = None
        #: [(step, [stack statuses seen, consecutive repeats dropped])]
        self.sequence = []
        #: {step: what the client saw at the step's end}
        self.seen = {}
        #: {step: the stack's own events as listed, with ids and times}
        self.stack_events = {}

    def request(self, method, path, body=None):
        return self.caller.request(method, '/stacks/%s%s' % (
            self.stack, path), body)

    def status(self):
        response = self.caller.get('/stacks/%s' % self.stack)
        self.test.assertEqual(200, response.status_code, response.text)
        stack = response.json()['stack']
        return stack['stack_status'], stack['stack_status_reason']

    def record(self, step, statuses):
        squeezed = []
        for status in statuses:
            if not squeezed or squeezed[-1] != status:
                squeezed.append(status)
        self.sequence.append((step, squeezed))

    def wait(self, step, first, done, seen=None):
        """Poll the stack from ``first`` (statuses seen already) until
        ``done(status)``; record the sequence.
        """
        statuses = list(seen or [])
        cancel_seen = []

        def check():
            status, reason = self.status()
            if step in RACING_STEPS and cancelled(status, reason):
                # Heat's cancel of the superseded traversal, shown for a
                # moment when the timing hits (Heat alone too).
                cancel_seen.append(time.monotonic())
                if cancel_seen[-1] - cancel_seen[0] > LOST_AFTER:
                    raise LostTraversal(
                        '%s: %s of %s: %s (%s) for %d s' % (
                            self.name, step, self.stack, status, reason,
                            LOST_AFTER))
                return False, status
            del cancel_seen[:]
            statuses.append(status)
            if status.endswith('_FAILED'):
                raise waiters.UnexpectedStatus('%s: stack %s %s: %s' % (
                    self.name, self.stack, status, reason))
            return done(status), status
        waiters.wait_for(check, '%s: %s of %s' % (self.name, step,
                                                  self.stack),
                         timeout=TIMEOUT)
        self.record(step, first + statuses)

    def snapshot_of_the_step(self, step):
        """What the client sees once the step ended."""
        stack = self.request('GET', '').json()['stack']
        resources = self.request('GET', '/resources').json()['resources']
        events = self.request('GET', '/events').json()['events']
        self.stack_events[step] = [
            (e.get('event_time'), e.get('id'), e['resource_status'],
             e['resource_status_reason'])
            for e in events if e['resource_name'] == self.stack_name]
        self.seen[step] = {
            'stack': (stack['stack_status'], stack['stack_status_reason']),
            'resources': sorted(
                (r['resource_name'], r['resource_status'])
                for r in resources),
            # Heat orders events by time; within one second the order of
            # the resources' events is its threads'.
            'stack events': [
                (e['resource_status'], e['resource_status_reason'])
                for e in events if e['resource_name'] == self.stack_name],
            'resource events': sorted(collections.Counter(
                (e['resource_name'], e['resource_status'],
                 e['resource_status_reason'])
                for e in events
                if e['resource_name'] != self.stack_name).items()),
        }

    @property
    def stack_name(self):
        return self.stack.split('/')[0]

    # --- the scenario ----------------------------------------------------

    def run(self):
        t = self.test
        name = 'parity-%s' % uuid.uuid4().hex[:8]
        response = self.caller.post('/stacks', {
            'stack_name': name, 'template': template(), 'files': FILES,
            'parameters': {}})
        t.assertEqual(201, response.status_code, response.text)
        self.stack = '%s/%s' % (name, response.json()['stack']['id'])
        t.addCleanup(self.delete_quietly)
        waiters.wait_for(
            lambda: (self.caller.get('/stacks/%s' % self.stack)
                     .status_code == 200, None),
            '%s: stack %s readable' % (self.name, self.stack))
        self.wait('create', [], lambda s: s == 'CREATE_COMPLETE')
        self.snapshot_of_the_step('create')

        response = self.request('POST', '/snapshots', {'name': 'snap'})
        t.assertEqual(200, response.status_code, response.text)
        snapshot_id = response.json()['id']
        self.wait('snapshot', [self.status()[0]],
                  lambda s: s == 'SNAPSHOT_COMPLETE')
        snapshot = waiters.wait_for_snapshot_status(
            self.caller, self.stack, snapshot_id, 'COMPLETE',
            timeout=TIMEOUT)
        t.assertEqual('Stack SNAPSHOT completed successfully',
                      snapshot['status_reason'])
        self.snapshot_of_the_step('snapshot')

        # At once: Heat's times have whole seconds, the update may start
        # in the second our snapshot ended.
        response = self.request('PUT', '', {
            'template': template(length=20, count=3, note='second'),
            'files': FILES, 'parameters': {}})
        t.assertEqual(202, response.status_code, response.text)
        self.wait('update', [self.status()[0]],
                  lambda s: s == 'UPDATE_COMPLETE')
        self.snapshot_of_the_step('update')

        # A restore, and at once the client's own update: Heat shows the
        # restore before its 202, and its update supersedes the restore.
        response = self.request('POST', '/snapshots/%s/restore'
                                % snapshot_id)
        t.assertEqual(202, response.status_code, response.text)
        after_restore = self.status()[0]
        response = self.request('PUT', '', {
            'template': template(length=24, count=1, note='third'),
            'files': FILES, 'parameters': {}})
        t.assertEqual(202, response.status_code, response.text)
        self.wait('restore+update', [after_restore],
                  lambda s: s == 'UPDATE_COMPLETE')
        current = self.request('GET', '/template').json()
        t.assertEqual(template(length=24, count=1, note='third'), current,
                      '%s: the client\'s update is the stack\'s' % self.name)
        self.snapshot_of_the_step('restore+update')

        response = self.request('DELETE', '')
        t.assertEqual(204, response.status_code, response.text)
        self.wait('delete', [self.status()[0]],
                  lambda s: s == 'DELETE_COMPLETE')
        response = self.request('GET', '/snapshots')
        # Not a state: shown in the log, not compared (the snapshot API's
        # answers are tested against Heat's elsewhere).
        self.after_delete = '%s %s' % (response.status_code,
                                       response.text[:200])
        return snapshot_id

    def delete_quietly(self):
        if self.stack:
            self.caller.delete('/stacks/%s' % self.stack)

    def line(self):
        return '%s: %s' % (self.name, ' '.join(
            status for _step, statuses in self.sequence
            for status in statuses))


class HeatParityTest(heat_base.RealHeatTestCase):

    test_timeout = TEST_TIMEOUT
    log_level = logging.INFO
    needs_filter = True

    def our_snapshots(self, stack_id):
        engine = sa.create_engine(self.service.db_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(
                    'SELECT id FROM hs_snapshots WHERE stack_id = '
                    ':stack_id'), {'stack_id': stack_id}))
        finally:
            engine.dispose()

    def our_state(self, stack_id):
        """Our record of the stack's last operation, every column."""
        engine = sa.create_engine(self.service.db_url)
        try:
            with engine.connect() as connection:
                return dict(connection.execute(sa.text(
                    'SELECT * FROM hs_stack_states WHERE stack_id = '
                    ':stack_id'), {'stack_id': stack_id}).mappings().one())
        finally:
            engine.dispose()

    def our_record(self, stack_id):
        state = self.our_state(stack_id)
        return state['action'], state['status'], state['status_reason']

    def run_until_kept(self, name, endpoint, project):
        """The scenario on one deployment, run again on new stacks while
        Heat itself loses the client's update (LostTraversal) and
        RETRY_WITHIN lasts; never again for anything else.
        """
        first = time.monotonic()
        for attempt in itertools.count(1):
            client = Client(self, name, clients.noauth_caller(endpoint,
                                                              project))
            try:
                client.run()
                return client
            except LostTraversal as lost:
                self.addDetail('%s: Heat lost a traversal (run %d)' % (
                    name, attempt), content.text_content(str(lost)))
                if time.monotonic() - first > RETRY_WITHIN:
                    raise
                LOG.warning('Heat lost a traversal; the scenario runs again '
                            'on new stacks: %s', lost)

    def test_same_states_through_heat_alone_and_with_the_filter(self):
        started = time.monotonic()
        project = 'hsp-%s' % uuid.uuid4().hex[:10]
        alone = self.run_until_kept('heat-alone', self.heat.endpoint,
                                    project)
        filtered = self.run_until_kept('heat+filter',
                                       self.heat.filter_endpoint, project)
        report = '\n'.join([
            alone.line(), filtered.line(),
            'snapshot list after the stack delete: heat-alone %s; '
            'heat+filter %s' % (alone.after_delete,
                                filtered.after_delete)])
        self.addDetail('stack status sequences',
                       content.text_content(report))
        LOG.info('Stack status sequences:\n%s', report)
        print(report)
        for (step, heat_statuses), (_, ours) in zip(alone.sequence,
                                                    filtered.sequence):
            self.assertEqual(heat_statuses, ours, 'step %s' % step)
        self.assertEqual(len(alone.sequence), len(filtered.sequence))
        for step in alone.seen:
            expected = copy.deepcopy(alone.seen[step])
            actual = copy.deepcopy(filtered.seen[step])
            if step in RACING_STEPS:
                # How far Heat's superseded traversal got when the
                # client's update stopped it is Heat's timing (two runs of
                # Heat alone differ too): how often it replaced a
                # resource, whether the cancel reached a resource still
                # working (a "... cancelled" FAILED event), and whether
                # it left one IN_PROGRESS (see settled).
                for seen in (expected, actual):
                    seen['resources'] = [
                        (name, settled(status))
                        for name, status in seen['resources']]
                    seen['resource events'] = sorted(
                        key for key, _count in seen['resource events']
                        if not cancelled(key[1], key[2]))
                    seen['stack events'] = [
                        event for event in seen['stack events']
                        if not cancelled(*event)]
            if expected != actual and step in RACING_STEPS:
                # Which traversal an event belongs to is in its time and
                # id, and in our record (the restore's start event).
                self.addDetail('%s: stack events' % step, content.text_content(
                    '\n'.join('%s: %s' % (client.name, event)
                              for client in (alone, filtered)
                              for event in client.stack_events[step]) +
                    '\nour record: %r' % (self.our_state(
                        filtered.stack.split('/')[1]),)))
            self.assertEqual(expected, actual,
                             'step %s: what the client sees' % step)

        # Ours did the work, and our snapshots went with the stack.
        stack_id = filtered.stack.split('/')[1]
        waiters.wait_for(lambda: (not self.our_snapshots(stack_id), None),
                         'snapshots of %s deleted with it' % stack_id,
                         timeout=60)
        # The filter's follow of the DELETE logs once its own back-off
        # sees the stack gone, which may be after Heat's notification had
        # the listener delete the snapshots.
        followed = ('Stack %s (project %s): deleted in Heat after a DELETE '
                    'through heat-api' % (stack_id, project))
        waiters.wait_for(
            lambda: (followed in self.service.engine_log(), None),
            'the filter\'s follow of the DELETE of %s' % stack_id,
            timeout=60)
        # Our restore knew the client's update superseded its own.
        action, status, reason = self.our_record(stack_id)
        self.assertEqual(('RESTORE', 'FAILED'), (action, status))
        self.assertIn('superseded by another action in Heat', reason)
        self.addDetail('runtime', content.text_content(
            '%.1f s' % (time.monotonic() - started)))
