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

"""The floor under a read through the API: a bare oslo.messaging call.

An RPC server in a process of its own (our serializer, access policy and
transport, the benchmark's broker) whose one method answers a text of a
given length, called from the benchmark's process as the API calls the
engine. Measured beside the show in the same minutes, it is the peer the
show's figures are set against on a machine whose speed moves.
"""

import json
import os
import subprocess
import sys
import tempfile
import uuid

import oslo_messaging as messaging
import psutil

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import rpc
from heat_snapshots import conf as hs_conf

TOPIC = 'hs-rpc-floor'


# The transport URL this process's oslo.config was given.
_configured = []


def configure(url):
    """This process's oslo.config as benchmarks.launcher writes its
    deployments' processes': the broker, auto-deleted queues; once.
    """
    if _configured:
        return
    with tempfile.NamedTemporaryFile('w', suffix='.conf',
                                     delete=False) as f:
        f.write('[DEFAULT]\ntransport_url = %s\n'
                '[oslo_messaging_rabbit]\namqp_auto_delete = true\n' % url)
    try:
        hs_conf.CONF(['--config-file', f.name], project='heat-snapshots',
                     default_config_files=[])
    finally:
        os.unlink(f.name)
    _configured.append(url)


def serve(url, topic, size):
    """The server: answers ``answer`` with ``size`` chars until its
    standard input closes.
    """
    configure(url)
    text = 'x' * size

    class Endpoint:
        target = messaging.Target(version='1.0')

        @messaging.expose
        def answer(self, context):
            return text

    server = rpc.get_server(messaging.Target(topic=topic, server='floor'),
                            [Endpoint()])
    server.start()
    print('serving', flush=True)
    sys.stdin.read()
    server.stop()
    server.wait()


def reply_size(shown):
    """How many chars the engine's reply to the show that answered
    ``shown`` (the API's JSON body) carries: its text, packed.
    """
    return len(rpc.pack_text(json.dumps(shown['snapshot'])))


class Floor:
    """A running floor server and this process's client of it.

    ``call()`` makes one call; ``processes()`` are the caller and the
    server ({role: psutil.Process}), for their CPU per call.
    """

    def __init__(self, url, size, project='bench-floor'):
        self.size = size
        topic = '%s-%s' % (TOPIC, uuid.uuid4().hex[:8])
        self.server = subprocess.Popen(
            [sys.executable, '-m', 'benchmarks.rpc_floor', url, topic,
             str(size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        try:
            ready = self.server.stdout.readline().strip()
            if ready != 'serving':
                raise RuntimeError('the RPC floor server did not start '
                                   '(it printed %r)' % ready)
            configure(url)
            self.client = rpc.get_client(
                messaging.Target(topic=topic, version='1.0'))
        except Exception:
            self.stop()
            raise
        self.context = hs_context.RequestContext(
            user_id='bench-user', project_id=project, roles=['member'])

    def call(self):
        answer = self.client.call(self.context, 'answer')
        if len(answer) != self.size:
            raise RuntimeError('the floor answered %d chars, not %d'
                               % (len(answer), self.size))

    def processes(self):
        return {'client': psutil.Process(),
                'server': psutil.Process(self.server.pid)}

    def stop(self):
        rpc.cleanup()
        if self.server.poll() is None:
            self.server.stdin.close()
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


if __name__ == '__main__':
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
