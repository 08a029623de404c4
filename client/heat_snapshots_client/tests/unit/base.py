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

"""The client's tests: the API at the HTTP level (requests_mock)."""

import io
import types

import fixtures
from keystoneauth1 import plugin
from keystoneauth1 import session
from requests_mock.contrib import fixture as rm_fixture
import testtools

from heat_snapshots_client import client

HOST = 'http://hs.test:8004'
PROJECT = 'p1'
API = '%s/v1/%s' % (HOST, PROJECT)
STACK_ID = '11111111-2222-3333-4444-555555555555'
STACK = '%s/stacks/web/%s' % (API, STACK_ID)


class FakeAuth(plugin.BaseAuthPlugin):
    """A session's identity: a token, a project and a catalog of one."""

    def __init__(self, endpoint=API, project_id=PROJECT):
        super().__init__()
        self.endpoint = endpoint
        self.project_id = project_id
        self.asked = []

    def get_token(self, session, **kwargs):
        return 'a-token'

    def get_endpoint(self, session, **kwargs):
        self.asked.append(kwargs)
        return self.endpoint

    def get_project_id(self, session, **kwargs):
        return self.project_id


def heat_error(status, error_type, message):
    """Heat's error body."""
    return {'code': status, 'title': 'Error', 'explanation': message,
            'error': {'type': error_type, 'message': message,
                      'traceback': None}}


class TestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.auth = FakeAuth()
        self.client = client.Client(session.Session(auth=self.auth))
        # --wait polls without waiting.
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots_client.osc.v1.snapshots.POLL_INTERVAL', 0))
        self.stderr = io.StringIO()
        self.app = types.SimpleNamespace(
            client_manager=types.SimpleNamespace(
                orchestration_snapshots=self.client),
            stdout=io.StringIO(), stderr=self.stderr)

    def stack_lookup(self, name='web', stack_id=STACK_ID):
        self.http.get('%s/stacks/%s' % (API, name), status_code=302,
                      headers={'Location': '%s/stacks/%s/%s' % (
                          API, name, stack_id)})

    def run_command(self, cls, *argv):
        """A command's take_action on these arguments."""
        cmd = cls(self.app, None)
        parsed = cmd.get_parser('openstack').parse_args(list(argv))
        return cmd.take_action(parsed)

    def sent(self, method=None, path=None):
        """The requests made (method, path and query), in order."""
        return [(r.method, r.path, r.query) for r in self.http.request_history
                if (method is None or r.method == method) and
                (path is None or r.path.endswith(path))]


def snapshot(snapshot_id='s1', name='before-upgrade', status='COMPLETE',
             **fields):
    body = {'id': snapshot_id, 'name': name, 'action': 'SNAPSHOT',
            'status': status, 'status_reason': None,
            'creation_time': '2026-11-30T10:00:00Z', 'data': None}
    body.update(fields)
    return body
