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

"""The commands run as an operator runs them: in processes of their own.

CommandTestCase writes a heat.conf in a temporary directory (also the
processes' HOME), runs a command to its end (``run_command``) or starts a
server (``start``, its output in a log file) and talks HTTP to it on a
free loopback port.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import fixtures
import testtools

from heat_snapshots.tests.functional import deployment

TOP_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


class CommandTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.port = deployment.free_port()
        self.config_file = os.path.join(self.tmp, 'heat.conf')

    def write_conf(self, text):
        with open(self.config_file, 'w') as f:
            f.write(text)
        return self.config_file

    def env(self):
        return dict(os.environ, HOME=self.tmp, PYTHONPATH=os.pathsep.join(
            filter(None, [TOP_DIR, os.environ.get('PYTHONPATH')])))

    def run_command(self, module, *args):
        """``python -m module --config-file heat.conf args`` to its end."""
        return subprocess.run(
            [sys.executable, '-m', module, '--config-file',
             self.config_file] + list(args),
            env=self.env(), capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL, cwd=self.tmp)

    def start(self, module, conf_text):
        """A server started with ``conf_text`` as its heat.conf."""
        path = self.write_conf(conf_text)
        # A file, not a pipe: a process that logs more than a pipe holds
        # would block on its log while nobody reads it.
        log = tempfile.NamedTemporaryFile(dir=self.tmp, suffix='.log',
                                          delete=False)
        process = subprocess.Popen(
            [sys.executable, '-m', module, '--config-file', path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=self.env(), cwd=self.tmp)
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

    def connect(self, timeout=10):
        return http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=timeout)

    def call(self, method, path, body=None, headers=None):
        connection = self.connect()
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
        """(status, body) of GET / once the server answers."""
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
        """SIGTERM, then the exit status."""
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.fail('still running %s s after SIGTERM' % timeout)
