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

"""What a notification consumer receives, through oslo.messaging."""

import types

from oslo_messaging import conffixture
from oslo_messaging.notify import _impl_test

from heat_snapshots.common import context
from heat_snapshots.common import notifications
from heat_snapshots.common import rpc
from heat_snapshots import conf
from heat_snapshots.tests import base

CONF = conf.CONF

TOKEN = 'gAAAAABtoken-of-the-caller'

SNAPSHOT = types.SimpleNamespace(
    id='snap-1', name='nightly', stack_id='stack-1', stack_name='web',
    project_id='project-a', status='IN_PROGRESS')


class ConsumerContextTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(conffixture.ConfFixture(CONF))
        notifications.cleanup()
        _impl_test.reset()
        self.addCleanup(_impl_test.reset)
        self.addCleanup(notifications.cleanup)
        self.flags(driver=['test'], group='oslo_messaging_notifications')
        self.ctx = context.RequestContext(
            auth_token=TOKEN, user_id='user-a', project_id='project-a',
            roles=['member'], is_admin=False)

    def sent_context(self):
        [(ctxt, message, _priority, _retry)] = _impl_test.NOTIFICATIONS
        self.assertEqual('orchestration.snapshot.create.start',
                         message['event_type'])
        return ctxt

    def test_notification_carries_no_token(self):
        notifications.notify_start(self.ctx, notifications.CREATE, SNAPSHOT)
        ctxt = self.sent_context()
        self.assertNotIn('auth_token', ctxt)
        self.assertNotIn(TOKEN, repr(ctxt))
        # Who did it stays: consumers audit and bill by it.
        self.assertEqual('user-a', ctxt['user'])
        self.assertEqual('project-a', ctxt['project_id'])
        self.assertEqual(['member'], ctxt['roles'])
        self.assertEqual(self.ctx.request_id, ctxt['request_id'])

    def test_other_secrets_are_left_out_ids_are_kept(self):
        values = {'auth_token': TOKEN, 'auth_token_info': {'token': {}},
                  'service_catalog': [{'type': 'identity'}],
                  'password': 'p', 'aws_creds': 'c',
                  'application_credential_secret': 's',
                  'trust_id': 'trust-1', 'trustor_user_id': 'user-a',
                  'user_id': 'user-a'}
        self.assertEqual({'trust_id': 'trust-1', 'trustor_user_id': 'user-a',
                          'user_id': 'user-a'},
                         notifications.consumer_context(values))

    def test_rpc_to_our_engine_keeps_the_token(self):
        # The engine acts for the caller with it.
        sent = rpc.RequestContextSerializer().serialize_context(self.ctx)
        self.assertEqual(TOKEN, sent['auth_token'])
        self.assertNotIn('auth_token', notifications.ConsumerContextSerializer(
        ).serialize_context(self.ctx))
