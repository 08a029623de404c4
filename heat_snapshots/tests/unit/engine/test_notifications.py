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

"""The engine's notifications, caught by oslo.messaging's test driver."""

import fixtures
from oslo_messaging import conffixture
from oslo_messaging.notify import _impl_test

from heat_snapshots.common import notifications
from heat_snapshots import conf
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import base as engine_base

CONF = conf.CONF

STACK = engine_base.template({
    'first': {'type': 'OS::Heat::TestResource'},
    'random': {'type': 'OS::Heat::RandomString'},
})


def sent():
    """[(event_type, priority, publisher_id, payload)] so far."""
    return [(message['event_type'], priority, message['publisher_id'],
             message['payload'])
            for _ctxt, message, priority, _retry
            in _impl_test.NOTIFICATIONS]


def event_types():
    return [event for event, _priority, _publisher, _payload in sent()]


class NotificationTestCase(engine_base.EngineTestCase):

    driver = ['test']

    def setUp(self):
        # Before the engine starts: the notifier reads the options once.
        self.useFixture(conffixture.ConfFixture(CONF))
        notifications.cleanup()
        _impl_test.reset()
        self.addCleanup(_impl_test.reset)
        self.addCleanup(notifications.cleanup)
        super().setUp()
        self.flags(driver=self.driver, group='oslo_messaging_notifications')
        self.flags(host='engine-host-1', group='heat_snapshots')

    def wait_for_events(self, count):
        return ef.wait_for(lambda: len(sent()) >= count,
                           what='%d notifications, got %s' % (
                               count, event_types()))


class SnapshotNotificationsTest(NotificationTestCase):

    def test_snapshot_restore_delete_send_start_and_end(self):
        identity = self.create_stack(STACK)
        snap = self.snapshot(identity)
        self.wait_for_events(2)
        self.engine.stack_restore(self.ctx, identity, snap['id'])
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'RESTORE_COMPLETE')
        self.wait_for_events(4)
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
        self.wait_for_events(6)

        self.assertEqual(['orchestration.snapshot.create.start',
                          'orchestration.snapshot.create.end',
                          'orchestration.snapshot.restore.start',
                          'orchestration.snapshot.restore.end',
                          'orchestration.snapshot.delete.start',
                          'orchestration.snapshot.delete.end'],
                         event_types())
        for event, priority, publisher, payload in sent():
            self.assertEqual('INFO', priority, event)
            self.assertEqual('heat-snapshots.engine-host-1', publisher)
            self.assertEqual({
                'stack_id': identity['stack_id'],
                'stack_name': 'stack',
                'project_id': self.ctx.project_id,
                'tenant_id': self.ctx.project_id,
                'snapshot_id': snap['id'],
                'snapshot_name': 'snap',
            }, {k: v for k, v in payload.items()
                if k not in ('status', 'status_reason')}, event)
        statuses = [(payload['status'], payload['status_reason'])
                    for _e, _p, _pub, payload in sent()]
        self.assertEqual([
            ('IN_PROGRESS', None),
            ('COMPLETE', 'Stack SNAPSHOT completed successfully'),
            ('IN_PROGRESS', None),
            ('COMPLETE', 'Stack RESTORE completed successfully'),
            ('IN_PROGRESS', 'Snapshot delete started'),
            ('COMPLETE', None),
        ], statuses)

    def test_failing_snapshot_sends_error(self):
        identity = self.create_stack(engine_base.template({
            'broken': {'type': 'OS::Heat::TestResource',
                       'properties': {'fail_on': ['snapshot']}},
        }))
        snap = self.snapshot(identity, wait='FAILED')
        self.wait_for_events(2)
        self.assertEqual(['orchestration.snapshot.create.start',
                          'orchestration.snapshot.create.error'],
                         event_types())
        event, priority, _publisher, payload = sent()[1]
        self.assertEqual('ERROR', priority)
        self.assertEqual('FAILED', payload['status'])
        self.assertEqual(snap['status_reason'], payload['status_reason'])
        self.assertIn('broken', payload['status_reason'])


class CloneNotificationsTest(NotificationTestCase):

    def test_clone_sends_start_and_end_naming_the_new_stack(self):
        identity = self.create_stack(STACK)
        snap = self.snapshot(identity)
        self.wait_for_events(2)
        new = self.engine.clone_snapshot(self.ctx, snap['id'], 'copy',
                                         stack_identity=identity)
        ef.wait_for_stack(self.engine, self.ctx, new, 'CREATE_COMPLETE')
        self.wait_for_events(4)
        self.assertEqual(['orchestration.snapshot.clone.start',
                          'orchestration.snapshot.clone.end'],
                         event_types()[2:])
        for event, priority, _publisher, payload in sent()[2:]:
            self.assertEqual('INFO', priority, event)
            # The snapshot and its stack, and the stack the clone makes.
            self.assertEqual(
                (identity['stack_id'], snap['id'], new['stack_id'], 'copy'),
                (payload['stack_id'], payload['snapshot_id'],
                 payload['clone_stack_id'], payload['clone_stack_name']))
        self.assertEqual(
            [('IN_PROGRESS', None),
             ('COMPLETE', 'Stack CREATE completed successfully')],
            [(p['status'], p['status_reason'])
             for _e, _pr, _pub, p in sent()[2:]])

    def test_failed_clone_sends_error(self):
        identity = self.create_stack(engine_base.template(
            parameters={'fail': {'type': 'boolean', 'default': False}},
            resources={'broken': {'type': 'OS::Heat::TestResource',
                                  'properties': {'fail': {
                                      'get_param': 'fail'}}}}))
        snap = self.snapshot(identity)
        self.wait_for_events(2)
        new = self.engine.clone_snapshot(self.ctx, snap['id'], 'copy',
                                         parameters={'fail': True},
                                         stack_identity=identity)
        ef.wait_for_stack(self.engine, self.ctx, new, 'CREATE_FAILED')
        self.wait_for_events(4)
        event, priority, _publisher, payload = sent()[3]
        self.assertEqual(('orchestration.snapshot.clone.error', 'ERROR',
                          'FAILED'),
                         (event, priority, payload['status']))
        self.assertIn('broken', payload['status_reason'])


class NotificationsOffTest(NotificationTestCase):

    # The default: no driver, nothing sent, and nothing breaks.
    driver = []

    def test_nothing_sent_by_default(self):
        identity = self.create_stack(STACK)
        snap = self.snapshot(identity)
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
        self.assertEqual([], sent())


class NotifyNeverRaisesTest(NotificationTestCase):

    def test_a_broken_notifier_does_not_fail_the_snapshot(self):
        def broken():
            raise RuntimeError('bus down')
        self.useFixture(fixtures.MockPatchObject(
            notifications, 'get_notifier', broken))
        identity = self.create_stack(STACK)
        snap = self.snapshot(identity)
        self.assertEqual('COMPLETE', snap['status'])
        self.assertEqual([], sent())
