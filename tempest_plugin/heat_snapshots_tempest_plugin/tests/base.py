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

"""The base of every heat-snapshots tempest test."""

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc
import tempest.test

CONF = config.CONF

HOT_VERSION = '2018-08-31'


def template(resources, outputs=None, parameters=None):
    """A HOT template of ``resources`` ({name: definition})."""
    result = {'heat_template_version': HOT_VERSION,
              'resources': resources}
    if parameters:
        result['parameters'] = parameters
    if outputs:
        result['outputs'] = outputs
    return result


def none_template(count=1):
    return template({'none%d' % n: {'type': 'OS::Heat::None'}
                     for n in range(count)})


class Stack:
    """A stack as the snapshot routes name it."""

    def __init__(self, name, stack_id):
        self.name = name
        self.id = stack_id

    @property
    def ident(self):
        return (self.name, self.id)

    def __repr__(self):
        return '%s/%s' % (self.name, self.id)


class BaseSnapshotsTest(tempest.test.BaseTestCase):
    """Clients of the project member (and whatever a class adds)."""

    credentials = ['project_member']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.heat_snapshots:
            raise cls.skipException('heat-snapshots is not available '
                                    '([service_available] heat_snapshots)')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.client = cls.snapshots_client(cls.os_project_member)

    @staticmethod
    def snapshots_client(manager):
        return manager.heat_snapshots.SnapshotsClient()

    @classmethod
    def skip_without_local_store(cls):
        if CONF.heat_snapshots.heat_endpoint:
            raise cls.skipException(
                "the endpoint is Heat's: OS::Heat::TestResource has no "
                'snapshot wait there')

    # --- helpers --------------------------------------------------------

    @classmethod
    def create_stack(cls, tmpl=None, parameters=None, client=None,
                     wait=True):
        """A new stack, deleted when the class ends."""
        client = client or cls.client
        name = data_utils.rand_name('hs-tempest')
        body = client.create_stack(name, tmpl or none_template(),
                                   parameters=parameters)
        stack = Stack(name, body['stack']['id'])
        cls.addClassResourceCleanup(cls._delete_stack, client, stack)
        if wait:
            client.wait_for_stack_status(stack.name, stack.id,
                                         'CREATE_COMPLETE')
        return stack

    @staticmethod
    def _delete_stack(client, stack):
        try:
            client.delete_stack(*stack.ident)
        except lib_exc.NotFound:
            return
        client.wait_for_stack_deleted(*stack.ident)

    def snapshot(self, stack, name=None, client=None, wait=True):
        """A snapshot of ``stack``, COMPLETE unless ``wait`` is false."""
        client = client or self.client
        body = client.create_snapshot(*stack.ident, name=name)
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self._delete_snapshot, client, stack, body['id'])
        if not wait:
            return body
        return client.wait_for_snapshot_status(*stack.ident, body['id'],
                                               'COMPLETE')

    @staticmethod
    def _delete_snapshot(client, stack, snapshot_id):
        try:
            client.wait_for_snapshot_status(*stack.ident, snapshot_id,
                                            'COMPLETE')
        except lib_exc.TempestException:
            pass
        client.delete_snapshot(*stack.ident, snapshot_id)

    def assertHeatError(self, exc_class, status, error_type, message,
                        call, *args, **kwargs):
        """``call`` fails with Heat's error body: code, title,
        explanation and error {type, traceback, message}.
        """
        error = self.assertRaises(exc_class, call, *args, **kwargs)
        body = error.resp_body
        self.assertIsInstance(body, dict, 'not a JSON error body: %r'
                              % (body,))
        self.assertEqual(status, body.get('code'), body)
        self.assertIn('title', body)
        self.assertIn('explanation', body)
        self.assertEqual(error_type, body['error']['type'], body)
        if message is not None:
            self.assertEqual(message, body['error'].get('message'), body)
        return body
