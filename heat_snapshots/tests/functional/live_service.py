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

"""A heat-snapshots-all of its own for the bad-input tests.

The bad-input tests send what no other test should see (bodies at the size
limit, half-sent requests, slow headers, thousands of generated cases), so
they run against an embedded deployment of their own, not the one the
scenario tests of the same process share. It is the functional suite's
EmbeddedDeployment (a free port, SQLite in a temporary state_path, noauth
on loopback), started once per test process on first use and stopped at
exit. With HS_FUNCTIONAL_ENDPOINT the tests use that endpoint instead.
"""

import atexit
import threading
import time

import requests

from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment as hs_deployment

PROJECT = 'hs-bad-input'
USER = 'bad-input-user'
HEADERS = {'X-Auth-User': USER, 'X-Auth-Project': PROJECT}
JSON_HEADERS = dict(HEADERS, **{'Content-Type': 'application/json',
                                'Accept': 'application/json'})
HOT_VERSION = '2018-08-31'
TEMPLATE = {
    'heat_template_version': HOT_VERSION,
    'resources': {
        'password': {'type': 'OS::Heat::RandomString',
                     'properties': {'length': 12}},
        'greeting': {'type': 'OS::Heat::Value',
                     'properties': {'value': 'hello'}},
    },
}
# A stack whose snapshot takes a while, so the stack is surely busy for
# a second snapshot request sent right after the first.
SLOW_SNAPSHOT_TEMPLATE = {
    'heat_template_version': HOT_VERSION,
    'resources': {
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'action_wait_secs': {'snapshot': 3}}},
    },
}
WAIT_TIMEOUT = 60

_LOCK = threading.Lock()
_SERVICE = []


class Service:
    """Where the service answers, and the stack and snapshot seeded in it.

    :ivar endpoint: http://127.0.0.1:<port>
    :ivar stack: {'stack_name', 'id'} of a CREATE_COMPLETE stack.
    :ivar snapshot_id: a COMPLETE snapshot of that stack.
    """

    def __init__(self, endpoint, deployment=None):
        self.endpoint = endpoint
        self.deployment = deployment
        self.stack = None
        self.snapshot_id = None

    @property
    def port(self):
        return int(self.endpoint.rsplit(':', 1)[1].split('/')[0])

    def url(self, path):
        return self.endpoint + path

    def stacks_url(self, project=PROJECT):
        return self.url('/v1/%s/stacks' % project)

    def stack_url(self, stack=None):
        stack = stack or self.stack
        return '%s/%s/%s' % (self.stacks_url(), stack['stack_name'],
                             stack['id'])

    def snapshot_url(self, snapshot_id=None, stack=None):
        return '%s/snapshots/%s' % (self.stack_url(stack),
                                    snapshot_id or self.snapshot_id)

    def log_files(self):
        return self.deployment.log_files() if self.deployment else {}

    def create_stack(self, name, template=None):
        response = requests.post(self.stacks_url(), json={
            'stack_name': name, 'template': template or TEMPLATE},
            headers=JSON_HEADERS, timeout=30)
        if response.status_code != 201:
            raise AssertionError('stack create: %s %s'
                                 % (response.status_code, response.text))
        stack = {'stack_name': name, 'id': response.json()['stack']['id']}
        self.wait(lambda: self._stack_settled(stack), 'stack ' + name)
        return stack

    def _stack_settled(self, stack):
        shown = requests.get(self.stack_url(stack), headers=HEADERS,
                             timeout=30).json()['stack']
        if shown['stack_status'].endswith('_IN_PROGRESS'):
            return None
        if not shown['stack_status'].endswith('_COMPLETE'):
            raise AssertionError('stack %s: %s %s'
                                 % (stack['stack_name'],
                                    shown['stack_status'],
                                    shown['stack_status_reason']))
        return shown

    def create_snapshot(self, stack, name='seed'):
        response = requests.post(self.stack_url(stack) + '/snapshots',
                                 json={'name': name}, headers=JSON_HEADERS,
                                 timeout=30)
        if response.status_code != 200:
            raise AssertionError('snapshot create: %s %s'
                                 % (response.status_code, response.text))
        snapshot_id = response.json()['id']

        def complete():
            shown = requests.get(
                self.snapshot_url(snapshot_id, stack), headers=HEADERS,
                timeout=30).json()['snapshot']
            if shown['status'] == 'IN_PROGRESS':
                return None
            if shown['status'] != 'COMPLETE':
                raise AssertionError('snapshot %s: %s' % (
                    snapshot_id, shown['status_reason']))
            return shown
        self.wait(complete, 'snapshot ' + snapshot_id)
        # The stack is busy until its snapshot is over.
        self.wait(lambda: self._stack_settled(stack), 'stack free')
        return snapshot_id

    def seed(self):
        """A stack and a COMPLETE snapshot of it."""
        self.stack = self.create_stack('bad-input-seed')
        self.snapshot_id = self.create_snapshot(self.stack)

    @staticmethod
    def wait(check, what, timeout=WAIT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError('%s: not ready after %s s'
                                     % (what, timeout))
            time.sleep(0.1)


def get():
    """The service of this test process, started and seeded on first use.

    :raises: hs_deployment.StartFailed (or an AssertionError while
        seeding), each time it is asked for after its start failed.
    """
    with _LOCK:
        if not _SERVICE:
            _SERVICE.append(_start())
        found = _SERVICE[0]
    if isinstance(found, Exception):
        raise found
    return found


def _start():
    endpoint = config.endpoint()
    deployment = None
    try:
        if not endpoint:
            deployment = hs_deployment.EmbeddedDeployment()
            atexit.register(deployment.stop)
            deployment.start()
            endpoint = deployment.endpoint
        service = Service(endpoint, deployment)
        service.seed()
        return service
    except Exception as error:
        return error
