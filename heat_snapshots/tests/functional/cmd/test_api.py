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

"""heat-snapshots-api and heat-snapshots-all as an operator runs them."""

import json
import os
import time

from heat_snapshots.tests.functional.cmd import base
from heat_snapshots.tests.unit.api import auth_fixture


class ProcessTest(base.CommandTestCase):
    """The commands in their own processes, stopped with SIGTERM."""

    def test_all_in_one_works_with_zero_setup(self):
        process = self.start('heat_snapshots.cmd.all', (
            '[heat_snapshots]\nstate_path = %s\n'
            '[heat_snapshots_api]\nbind_port = %d\n') % (self.tmp,
                                                         self.port))
        status, _body = self.wait_until_serving(process)
        self.assertEqual(300, status)
        # noauth by default, a SQLite database migrated on start.
        caller = {'X-Auth-Project': 'p1'}
        status, body = self.call('POST', '/v1/p1/stacks', {
            'stack_name': 's', 'template': {
                'heat_template_version': '2018-08-31',
                'resources': {'r': {'type': 'OS::Heat::None'}}}}, caller)
        self.assertEqual(201, status, body)
        stack_id = json.loads(body)['stack']['id']
        deadline = time.monotonic() + 20
        while True:
            status, body = self.call(
                'POST', '/v1/p1/stacks/s/%s/snapshots' % stack_id,
                {'name': 'n'}, caller)
            if status != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(200, status, body)
        self.assertTrue(os.path.exists(
            os.path.join(self.tmp, 'heat-snapshots.sqlite')))
        self.assertEqual(0, self.stop(process))
        output = self.output(process).decode()
        # Native threads: nothing about eventlet, nor any other warning
        # of Python's; both halves say they stopped.
        self.assertNotIn('ventlet', output)
        self.assertNotIn('Warning:', output)
        self.assertIn('heat-snapshots-all stopped', output)
        self.assertRegex(output, r'Engine [-0-9a-f]+ stopped')

    def test_api_workers_share_the_port_and_stop_on_sigterm(self):
        process = self.start('heat_snapshots.cmd.api', (
            '[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n'
            '[heat_snapshots]\nstate_path = %s\n'
            '[keystone_authtoken]\n%s\n'
            '[heat_snapshots_api]\nbind_port = %d\nworkers = 2\n'
            'threads = 4\n') % (
                self.tmp, '\n'.join('%s = %s' % item for item in
                                    auth_fixture.COMPLETE.items()),
                self.port))
        self.assertEqual(300, self.wait_until_serving(process)[0])
        for _ in range(10):
            self.assertEqual(300, self.call('GET', '/')[0])
        # keystone is the production default: no token, no answer.
        self.assertEqual(401, self.call('GET', '/v1/p1/stacks')[0])
        self.assertEqual(0, self.stop(process))

    def test_api_refuses_the_in_process_transport(self):
        process = self.start('heat_snapshots.cmd.api', (
            '[heat_snapshots]\nstate_path = %s\n') % self.tmp)
        self.assertNotEqual(0, process.wait(30))
        self.assertIn(b'or run heat-snapshots-all', self.output(process))

    def test_api_refuses_noauth_on_any_address(self):
        process = self.start('heat_snapshots.cmd.api', (
            '[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n'
            '[heat_snapshots]\nstate_path = %s\n'
            '[heat_snapshots_api]\nauth_strategy = noauth\n'
            'bind_host = 0.0.0.0\n') % self.tmp)
        self.assertNotEqual(0, process.wait(30))
        self.assertIn(b'allow_noauth_on_any_address', self.output(process))

    def test_api_refuses_keystone_without_authtoken(self):
        process = self.start('heat_snapshots.cmd.api', (
            '[DEFAULT]\ntransport_url = rabbit://guest:guest@127.0.0.1:1/\n'
            '[heat_snapshots]\nstate_path = %s\n') % self.tmp)
        self.assertNotEqual(0, process.wait(30))
        output = self.output(process).decode()
        # One line, naming the options; nothing else.
        self.assertEqual(1, len(output.splitlines()), output)
        self.assertIn('[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', output)
