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

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import fixtures

from heat_snapshots.cmd import api as api_cmd
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import auth_fixture


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class CheckAuthTest(base.TestCase):

    def test_noauth_on_loopback_is_fine(self):
        self.flags(auth_strategy='noauth', group='heat_snapshots_api')
        for host in ('127.0.0.1', '::1', 'localhost'):
            self.flags(bind_host=host, group='heat_snapshots_api')
            self.assertIsNone(api_cmd.check_auth(base.CONF, 'prog'))

    def test_noauth_on_any_address_is_refused_unless_allowed(self):
        self.flags(auth_strategy='noauth', bind_host='0.0.0.0',
                   group='heat_snapshots_api')
        problem = api_cmd.check_auth(base.CONF, 'heat-snapshots-api')
        self.assertIn('bind_host 0.0.0.0 is not a loopback address',
                      problem)
        self.flags(allow_noauth_on_any_address=True,
                   group='heat_snapshots_api')
        self.assertIsNone(api_cmd.check_auth(base.CONF, 'prog'))

    def test_keystone_on_any_address_is_fine(self):
        self.useFixture(auth_fixture.KeystoneAuthtoken(self.conf_fixture))
        self.flags(auth_strategy='keystone', bind_host='0.0.0.0',
                   group='heat_snapshots_api')
        self.assertIsNone(api_cmd.check_auth(base.CONF, 'prog'))

    def test_keystone_without_authtoken_is_refused(self):
        # The production default, and no [keystone_authtoken] at all.
        problem = api_cmd.check_auth(base.CONF, 'heat-snapshots-api')
        self.assertNotIn('\n', problem)
        self.assertIn('heat-snapshots-api: auth_strategy = keystone, but '
                      '[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', problem)

    def test_all_in_one_with_keystone_is_checked_too(self):
        self.flags(auth_strategy='keystone', group='heat_snapshots_api')
        self.assertIn('heat-snapshots-all: auth_strategy = keystone',
                      api_cmd.check_auth(base.CONF, 'heat-snapshots-all'))


class ProcessTest(base.TestCase):
    """The commands in their own processes, stopped with SIGTERM."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.port = free_port()

    def write_conf(self, text):
        path = os.path.join(self.tmp, 'heat.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def start(self, module, conf_text):
        path = self.write_conf(conf_text)
        env = dict(os.environ, HOME=self.tmp)
        # A file, not a pipe: a process that logs more than a pipe holds
        # would block on its log while nobody reads it.
        log = tempfile.NamedTemporaryFile(dir=self.tmp, suffix='.log',
                                          delete=False)
        process = subprocess.Popen(
            [sys.executable, '-m', module, '--config-file', path],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.tmp)
        log.close()
        process.log_path = log.name
        self.addCleanup(self._kill, process)
        return process

    @staticmethod
    def output(process):
        with open(process.log_path, 'rb') as log:
            return log.read()

    def _kill(self, process):
        if process.poll() is None:
            process.kill()
            process.wait()

    def call(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection('127.0.0.1', self.port,
                                                timeout=10)
        try:
            connection.request(method, path,
                               body=json.dumps(body) if body else None,
                               headers=dict(headers or {}, **{
                                   'Content-Type': 'application/json'}))
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def wait_until_serving(self, process, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.fail('exited early: %s' % self.output(process))
            try:
                return self.call('GET', '/')
            except OSError:
                time.sleep(0.1)
        self.fail('not serving after %s s' % timeout)

    def stop(self, process, timeout=30):
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.fail('still running %s s after SIGTERM' % timeout)

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
