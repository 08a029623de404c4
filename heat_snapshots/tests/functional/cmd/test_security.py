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

"""The commands' safety rails, in processes as an operator starts them.

test_api.py covers heat-snapshots-api refusing noauth on 0.0.0.0; here:
heat-snapshots-all refusing it too, both commands starting when
allow_noauth_on_any_address says so, and the body size limit holding on a
real socket for a chunked body that has no Content-Length.
"""

from heat_snapshots.tests.functional.cmd import base

MESSAGE = (b'bind_host 0.0.0.0 is not a loopback address',
           b'allow_noauth_on_any_address')
RABBIT = 'rabbit://guest:guest@127.0.0.1:1/'


class _Process(base.CommandTestCase):

    def start(self, module, conf_text):
        return super().start(module, '[heat_snapshots]\nstate_path = %s\n%s'
                             % (self.tmp, conf_text))

    def wait_until_serving(self, process, timeout=30):
        return super().wait_until_serving(process, timeout)[0]


class NoauthBindTest(_Process):

    def assertRefused(self, process):
        self.assertNotEqual(0, process.wait(30))
        output = self.output(process)
        for text in MESSAGE:
            self.assertIn(text, output)
        # A clear message, not a traceback.
        self.assertNotIn(b'Traceback', output)

    def test_all_refuses_noauth_on_any_address(self):
        self.assertRefused(self.start('heat_snapshots.cmd.all', (
            '[heat_snapshots_api]\nbind_host = 0.0.0.0\nbind_port = %d\n'
            % self.port)))

    def test_all_refuses_noauth_named_on_any_address(self):
        self.assertRefused(self.start('heat_snapshots.cmd.all', (
            '[heat_snapshots_api]\nauth_strategy = noauth\n'
            'bind_host = 0.0.0.0\nbind_port = %d\n' % self.port)))

    def test_api_refusal_is_a_message_not_a_traceback(self):
        self.assertRefused(self.start('heat_snapshots.cmd.api', (
            '[DEFAULT]\ntransport_url = %s\n'
            '[heat_snapshots_api]\nauth_strategy = noauth\n'
            'bind_host = 0.0.0.0\nbind_port = %d\n' % (RABBIT, self.port))))

    def test_all_allowed_on_any_address_when_told(self):
        process = self.start('heat_snapshots.cmd.all', (
            '[heat_snapshots_api]\nbind_host = 0.0.0.0\nbind_port = %d\n'
            'allow_noauth_on_any_address = true\n' % self.port))
        self.assertEqual(300, self.wait_until_serving(process))
        self.assertEqual(0, self.stop(process))
        self.assertIn(b'callers are trusted', self.output(process))

    def test_api_allowed_on_any_address_when_told(self):
        process = self.start('heat_snapshots.cmd.api', (
            '[DEFAULT]\ntransport_url = %s\n'
            '[heat_snapshots_api]\nauth_strategy = noauth\n'
            'bind_host = 0.0.0.0\nbind_port = %d\n'
            'allow_noauth_on_any_address = true\n' % (RABBIT, self.port)))
        self.assertEqual(300, self.wait_until_serving(process))
        self.assertEqual(0, self.stop(process))


class BodySizeOverSocketTest(_Process):
    """cheroot de-chunks the body; the limit must hold all the same."""

    LIMIT = 2048

    def setUp(self):
        super().setUp()
        self.process = self.start('heat_snapshots.cmd.all', (
            '[heat_snapshots_api]\nbind_port = %d\n'
            '[oslo_middleware]\nmax_request_body_size = %d\n'
            % (self.port, self.LIMIT)))
        self.wait_until_serving(self.process)

    def post(self, chunks, chunked=True):
        connection = self.connect(timeout=30)
        headers = {'Content-Type': 'application/json',
                   'X-Auth-Project': 'p1'}
        try:
            if chunked:
                connection.request('POST', '/v1/p1/stacks', body=iter(chunks),
                                   headers=headers, encode_chunked=True)
            else:
                connection.request('POST', '/v1/p1/stacks',
                                   body=b''.join(chunks), headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def chunks(self, size):
        body = b'{"stack_name": "%s"}' % (b'x' * size)
        return [body[i:i + 500] for i in range(0, len(body), 500)]

    def test_chunked_body_over_the_limit_is_413(self):
        status, body = self.post(self.chunks(self.LIMIT * 4))
        self.assertEqual(413, status, body)
        self.assertIn(b'HTTPRequestEntityTooLarge', body)

    def test_body_with_length_over_the_limit_is_413(self):
        status, body = self.post(self.chunks(self.LIMIT * 4), chunked=False)
        self.assertEqual(413, status, body)

    def test_chunked_body_within_the_limit_is_read(self):
        status, body = self.post(self.chunks(100))
        self.assertEqual(400, status, body)
        self.assertIn(b'No template specified', body)
