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

"""Secrets stay secret: hidden parameters, noauth's guards, notifications.

On heat-snapshots-all (embedded, noauth): a stack with a ``hidden``
parameter shows it masked in snapshot show and list, and a restore puts
back the real value (the stack's output says so); a browser's cross-origin
``text/plain`` POST and a request naming a foreign ``Host`` (DNS
rebinding) are refused.

On heat-snapshots-api with two engines on RabbitMQ and MariaDB, with
notifications on: a consumer of the notification topic receives the
snapshot's events with the caller's identity and without the token the
caller sent.
"""

import atexit
import logging
import os
import threading
import uuid

import fixtures
from oslo_config import cfg
import oslo_messaging as messaging
from oslotest import base as oslotest_base
import requests

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment as hs_deployment
from heat_snapshots.tests.functional import heat_base
from heat_snapshots.tests.functional import service_lock
from heat_snapshots.tests.functional import waiters

REAL_HEAT_TIMEOUT = 240

HIDDEN = base.template(
    {'echo': {'type': 'OS::Heat::Value',
              'properties': {'value': {'get_param': 'db_password'}}}},
    parameters={'db_password': {'type': 'string', 'hidden': True},
                'flavor': {'type': 'string'}},
    outputs={'password': {'value': {'get_attr': ['echo', 'value']}}})


class _Embedded(base.FunctionalTest):
    deployment_name = config.EMBEDDED

    def setUp(self):
        if config.endpoint() or config.auth() != config.NOAUTH:
            self.skipTest('heat-snapshots-all started here, with noauth')
        super().setUp()


class HiddenParameterTest(_Embedded):

    def test_masked_in_snapshots_restored_for_real(self):
        stack = self.create_stack(HIDDEN, parameters={
            'db_password': 'first-s3cret', 'flavor': 'small'})
        self.assertEqual('first-s3cret', self.outputs(stack)['password'])
        # As Heat's stack show.
        self.assertEqual('******', self.show_stack(stack)['parameters'][
            'db_password'])

        snapshot = self.snapshot(stack, name='with-secret')
        shown = self.show_snapshot(stack, snapshot['id'])
        listed = self.list_snapshots(stack)[snapshot['id']]
        for answer in (snapshot, shown, listed):
            parameters = answer['data']['environment']['parameters']
            self.assertEqual({'db_password': '******', 'flavor': 'small'},
                             parameters)
        response = self.caller.get('/stacks/%s/snapshots' % stack)
        self.assertNotIn('first-s3cret', response.text)

        self.update_stack(stack, HIDDEN, parameters={
            'db_password': 'second-s3cret', 'flavor': 'small'})
        self.assertEqual('second-s3cret', self.outputs(stack)['password'])

        self.restore(stack, snapshot['id'])
        # The value stored with the snapshot, not the mask it showed.
        self.assertEqual('first-s3cret', self.outputs(stack)['password'])


class NoAuthGuardTest(_Embedded):
    """What a page in the user's browser could send to the loopback API."""

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack(base.none_template())
        self.url = '%s/v1/admin/stacks/%s/snapshots' % (
            self.deployment.endpoint, self.stack)

    def test_cross_origin_text_plain_post_is_refused(self):
        # A form or fetch(mode: 'no-cors'): no preflight, no custom header;
        # it would act as noauth's default project.
        for content_type in ('text/plain',
                             'application/x-www-form-urlencoded'):
            response = requests.post(
                self.url, data='{"name": "csrf"}', timeout=30,
                headers={'Content-Type': content_type})
            self.assertError(415, 'HTTPUnsupportedMediaType', response,
                             'must have Content-Type: application/json')
        response = requests.post(self.url + '/x/restore', timeout=30)
        self.assertError(415, 'HTTPUnsupportedMediaType', response)
        self.assertEqual({}, self.list_snapshots(self.stack))

    def test_foreign_host_header_is_refused(self):
        # DNS rebinding: the attacker's name now resolves to 127.0.0.1.
        own = self.caller.url + '/stacks/%s/snapshots' % self.stack
        for method in ('GET', 'POST'):
            response = requests.request(
                method, own, json={'name': 'rebound'}, timeout=30,
                headers=dict(self.caller.headers,
                             Host='attacker.example.com'))
            self.assertError(400, 'HTTPBadRequest', response,
                             "'attacker.example.com' does not name")
        self.assertEqual({}, self.list_snapshots(self.stack))
        # The same request naming loopback is served.
        response = requests.get(own, headers=dict(
            self.caller.headers, Host='localhost:%d' % self.deployment.port),
            timeout=30)
        self.assertStatus(200, response)


class NotifyingDeployment(hs_deployment.MySQLDeployment):
    """heat-snapshots-api and two engines sending notifications."""

    name = 'mysql-notifications'

    def __init__(self):
        super().__init__()
        self.notification_topic = 'hs-functional-notifications-%s' % self.id

    def _conf(self):
        conf = super()._conf()
        conf['oslo_messaging_notifications'] = {
            'driver': 'messagingv2', 'topics': self.notification_topic}
        return conf


_LOCK = threading.Lock()
_DEPLOYMENT = []


def notifying_deployment():
    """The NotifyingDeployment of this test process, started once."""
    with _LOCK:
        if not _DEPLOYMENT:
            started = NotifyingDeployment()
            started.check_services()
            atexit.register(started.stop)
            started.start()
            _DEPLOYMENT.append(started)
        return _DEPLOYMENT[0]


class Consumer:
    """A notification listener, as billing or auditing would run one."""

    def __init__(self):
        self.received = []
        self.event = threading.Event()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.received.append((ctxt, event_type, payload))
        self.event.set()

    error = info


class NotificationConsumerTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        if config.endpoint() or config.auth() != config.NOAUTH:
            self.skipTest('needs deployments started here, with noauth')
        if 'OS_LOG_CAPTURE' not in os.environ:
            self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.useFixture(service_lock.ServerLock())
        try:
            self.deployment = notifying_deployment()
        except hs_deployment.ServiceUnavailable as error:
            if config.in_ci():
                self.fail('%s (CI=true: a missing service fails)' % error)
            self.skipTest(str(error))
        self.caller = clients.noauth_caller(self.deployment.endpoint)
        self.consumer = self.listen()

    def listen(self):
        # The deployment's exchange is auto-delete: the consumer must
        # declare it alike.
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'consumer.conf')
        with open(path, 'w') as f:
            f.write('[oslo_messaging_rabbit]\namqp_auto_delete = true\n')
        conf = cfg.ConfigOpts()
        conf(['--config-file', path], project='hs-functional-consumer')
        transport = messaging.get_notification_transport(
            conf, url=self.deployment.transport_url)
        self.addCleanup(transport.cleanup)
        consumer = Consumer()
        listener = messaging.get_notification_listener(
            transport, [messaging.Target(
                topic=self.deployment.notification_topic,
                exchange=self.deployment.topic)],
            [consumer], executor='threading')
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)
        return consumer

    def test_consumer_sees_the_caller_not_the_token(self):
        token = 'hsf-token-%s' % uuid.uuid4().hex
        name = 'hsf-%s' % uuid.uuid4().hex[:10]
        body = self.caller.heat.stacks.create(
            stack_name=name, template=base.none_template())
        stack = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self.caller.heat.stacks.delete, stack)
        waiters.wait_for_stack_status(self.caller, stack, 'CREATE_COMPLETE')
        response = self.caller.post('/stacks/%s/snapshots' % stack,
                                    {'name': 'n'},
                                    headers={'X-Auth-Token': token})
        self.assertEqual(200, response.status_code, response.text)
        snapshot = response.json()
        waiters.wait_for_snapshot_status(self.caller, stack, snapshot['id'],
                                         'COMPLETE')

        def ended():
            seen = [event_type for _c, event_type, payload
                    in self.consumer.received
                    if payload.get('snapshot_id') == snapshot['id']]
            return 'orchestration.snapshot.create.end' in seen, seen
        waiters.wait_for(ended, what='the create.end notification')
        events = [r for r in self.consumer.received
                  if r[2].get('snapshot_id') == snapshot['id']]
        self.assertEqual(['orchestration.snapshot.create.start',
                          'orchestration.snapshot.create.end'],
                         [event_type for _c, event_type, _p in events])
        for ctxt, _event_type, _payload in events:
            # Who did it, for billing and auditing.
            self.assertEqual(self.caller.project_id, ctxt['project_id'])
            self.assertEqual(self.caller.headers['X-Auth-User'],
                             ctxt['user'])
            self.assertNotIn('auth_token', ctxt)
            self.assertNotIn(token, repr(ctxt))


def hidden_in_heat(extra=False):
    """HIDDEN, and the flavor in an output, for a real Heat."""
    result = base.template(
        {'echo': {'type': 'OS::Heat::Value',
                  'properties': {'value': {'get_param': 'db_password'}}}},
        parameters={'db_password': {'type': 'string', 'hidden': True},
                    'flavor': {'type': 'string'}},
        outputs={'password': {'value': {'get_attr': ['echo', 'value']}},
                 'flavor': {'value': {'get_param': 'flavor'}}})
    if extra:
        result['resources']['extra'] = {'type': 'OS::Heat::None'}
    return result


class HeatDriverHiddenParameterTest(heat_base.RealHeatTestCase):
    """A real Heat 27 masks hidden parameters.

    The heat driver's restore must not send Heat's ``******`` back to it
    as the value.
    """

    def heat_stack(self, stack):
        response = self.in_heat.get('/stacks/%s' % stack)
        if response.status_code == 404:
            return None
        self.assertEqual(200, response.status_code, response.text)
        return response.json()['stack']

    def wait_in_heat(self, stack, check, what):
        def settled():
            body = self.heat_stack(stack)
            if body is None or body['stack_status'].endswith(
                    '_IN_PROGRESS'):
                return False, body and body['stack_status']
            if body['stack_status'].endswith('_FAILED'):
                raise waiters.UnexpectedStatus('%s: %s' % (
                    body['stack_status'], body['stack_status_reason']))
            outputs = {o['output_key']: o.get('output_value')
                       for o in body.get('outputs') or ()}
            return check(body, outputs), (body['stack_status'], outputs)
        return waiters.wait_for(settled, '%s: %s' % (stack, what),
                                timeout=REAL_HEAT_TIMEOUT)

    def test_restore_keeps_the_value_heat_never_showed(self):
        name = 'hsh-%s' % uuid.uuid4().hex[:8]
        response = self.in_heat.post('/stacks', {
            'stack_name': name, 'template': hidden_in_heat(),
            'parameters': {'db_password': 'first-s3cret',
                           'flavor': 'small'}})
        self.assertEqual(201, response.status_code, response.text)
        stack = '%s/%s' % (name, response.json()['stack']['id'])
        self.addCleanup(self.in_heat.delete, '/stacks/%s' % stack)
        self.wait_in_heat(stack, lambda body, outputs: outputs.get(
            'password') == 'first-s3cret', 'created')
        # Heat masks what it shows: the value never reaches the driver.
        environment = self.in_heat.get('/stacks/%s/environment'
                                       % stack).json()
        self.assertEqual('******', environment['parameters']['db_password'])

        response = self.ours.post('/stacks/%s/snapshots' % stack,
                                  {'name': 'with-secret'})
        self.assertEqual(200, response.status_code, response.text)
        snapshot = waiters.wait_for_snapshot_status(
            self.ours, stack, response.json()['id'], 'COMPLETE',
            timeout=REAL_HEAT_TIMEOUT)
        self.assertEqual({'db_password': '******', 'flavor': 'small'},
                         snapshot['data']['environment']['parameters'])

        response = self.in_heat.request('PUT', '/stacks/%s' % stack, {
            'template': hidden_in_heat(extra=True),
            'parameters': {'db_password': 'second-s3cret',
                           'flavor': 'large'}})
        self.assertEqual(202, response.status_code, response.text)
        self.wait_in_heat(stack, lambda body, outputs: outputs.get(
            'flavor') == 'large', 'updated')

        response = self.ours.post('/stacks/%s/snapshots/%s/restore'
                                  % (stack, snapshot['id']))
        self.assertEqual(202, response.status_code, response.text)
        _status, outputs = self.wait_in_heat(
            stack, lambda body, outputs: outputs.get('flavor') == 'small',
            'restored')
        # The snapshot's flavor and template; the hidden parameter keeps
        # the value Heat has, never the mask it showed.
        self.assertEqual('second-s3cret', outputs['password'])
        resources = self.in_heat.get('/stacks/%s/resources'
                                     % stack).json()['resources']
        self.assertEqual(['echo'],
                         [r['resource_name'] for r in resources])
        self.assertIn('hidden parameters db_password are kept at their '
                      'current values', self.env.service.engine_log())
