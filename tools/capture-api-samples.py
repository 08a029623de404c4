#!/usr/bin/env python3
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

"""Capture the API reference's samples from a running heat-snapshots.

Starts ``heat-snapshots-all`` (noauth on loopback, SQLite and the local
stack driver, all in a temporary directory, on a free port), creates a
stack, snapshots it, lists, shows, previews the restore, clones and
restores the snapshot, then deletes it, cancels a snapshot, runs a
snapshot policy and lists the project's snapshots, clones a snapshot a
policy kept after its stack, provokes the documented errors, and writes
every request and response body to api-ref/source/samples/. Run it
after any change to what the API answers, and commit the samples with
the change::

    python tools/capture-api-samples.py [--output DIR]

Only the standard library is used; the service runs from the same Python
(``python -m heat_snapshots.cmd.all``).
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(TOP_DIR, 'api-ref', 'source', 'samples')

TENANT = 'demo'
HEADERS = {'X-Auth-User': 'demo', 'X-Auth-Project': TENANT,
           'Accept': 'application/json'}

TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'parameters': {'length': {'type': 'number', 'default': 12}},
    'resources': {
        'password': {'type': 'OS::Heat::RandomString',
                     'properties': {'length': {'get_param': 'length'}}},
        'greeting': {'type': 'OS::Heat::Value',
                     'properties': {'value': 'hello'}},
    },
}

# A stack whose snapshot takes a while, to show the 409 and the 400 that
# an operation in progress gives.
SLOW_TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'action_wait_secs': {'snapshot': 3}}},
    },
}


def free_port():
    """The API's default port when free, so the samples' links look usual.
    """
    for port in (8044, 0):
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return s.getsockname()[1]


class Client:

    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, headers=None):
        """(status, headers, raw body, parsed JSON body or None)."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=30)
        all_headers = dict(HEADERS, **(headers or {}))
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers['Content-Type'] = 'application/json'
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            parsed = None
            if raw and 'json' in (response.getheader('Content-Type') or ''):
                parsed = json.loads(raw)
            return response.status, response.getheaders(), raw, parsed
        finally:
            conn.close()

    def expect(self, status, method, path, body=None):
        got, headers, raw, parsed = self.request(method, path, body)
        if got != status:
            raise SystemExit('%s %s: expected %d, got %d: %s' % (
                method, path, status, got, raw.decode(errors='replace')))
        return headers, parsed

    def wait(self, path, key, field, done, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            _headers, parsed = self.expect(200, 'GET', path)
            value = parsed[key][field]
            if done(value):
                return parsed
            if time.monotonic() > deadline:
                raise SystemExit('%s: still %s' % (path, value))
            time.sleep(0.2)


class Samples:

    def __init__(self, output):
        self.output = output
        os.makedirs(output, exist_ok=True)

    def json(self, name, body):
        with open(os.path.join(self.output, name), 'w') as f:
            f.write(json.dumps(body, indent=4, ensure_ascii=False) + '\n')
        print('wrote %s' % name)

    def http(self, name, status_line, headers, keep):
        """A status line and the headers named in ``keep``."""
        lines = [status_line]
        for header, value in headers:
            if header.lower() in keep:
                if header.lower() == 'x-openstack-request-id':
                    header = 'X-OpenStack-Request-Id'
                lines.append('%s: %s' % (header, value))
        with open(os.path.join(self.output, name), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        print('wrote %s' % name)


def start_service(workdir, port):
    config = os.path.join(workdir, 'heat.conf')
    with open(config, 'w') as f:
        f.write('[heat_snapshots]\nstate_path = %s\n'
                '[heat_snapshots_api]\nbind_host = 127.0.0.1\n'
                'bind_port = %d\n' % (os.path.join(workdir, 'state'), port))
    log = open(os.path.join(workdir, 'service.log'), 'w')
    env = dict(os.environ, HOME=workdir,
               PYTHONPATH=os.pathsep.join(
                   filter(None, [TOP_DIR, os.environ.get('PYTHONPATH')])))
    process = subprocess.Popen(
        [sys.executable, '-m', 'heat_snapshots.cmd.all',
         '--config-file', config],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise SystemExit('heat-snapshots-all exited; see %s' % log.name)
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return process
        except OSError:
            if time.monotonic() > deadline:
                process.terminate()
                raise SystemExit('heat-snapshots-all did not listen')
            time.sleep(0.2)


def capture(client, samples):
    stacks = '/v1/%s/stacks' % TENANT

    # The local driver's stack endpoints, to have something to snapshot.
    create = {'stack_name': 'web', 'template': TEMPLATE}
    samples.json('stack-create-request.json', create)
    _h, created = client.expect(201, 'POST', stacks, create)
    samples.json('stack-create-response.json', created)
    stack_id = created['stack']['id']
    stack = '%s/web/%s' % (stacks, stack_id)
    client.wait(stack, 'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))

    # The lookup clients do first: 302 to the stack's canonical URL.
    status, headers, _raw, body = client.request('GET', stacks + '/web')
    assert status == 302, status
    samples.http('stack-lookup-response.txt', '302 Found', headers,
                 ('location', 'x-openstack-request-id'))
    samples.json('stack-lookup-response.json', body)

    # Snapshot, list, show.
    snapshots = stack + '/snapshots'
    request = {'name': 'snap-1'}
    samples.json('stack-snapshot-request.json', request)
    _h, snap = client.expect(200, 'POST', snapshots, request)
    samples.json('stack-snapshot-response.json', snap)
    snapshot = '%s/%s' % (snapshots, snap['id'])
    shown = client.wait(snapshot, 'snapshot', 'status',
                        lambda s: s != 'IN_PROGRESS')
    samples.json('stack-snapshot-show-response.json', shown)
    _h, listed = client.expect(200, 'GET', snapshots)
    samples.json('stack-snapshots-list-response.json', listed)

    # heat-snapshots' own: the snapshot's resources, a bad page, nothing
    # to cancel.
    _h, resources = client.expect(200, 'GET', snapshot + '/resources')
    samples.json('snapshot-resources-response.json', resources)
    status, _h, _raw, body = client.request('GET',
                                            snapshots + '?sort_keys=id')
    assert status == 400, status
    samples.json('snapshots-list-bad-sort-response.json', body)
    status, _h, _raw, body = client.request('POST', snapshot + '/cancel')
    assert status == 409, status
    samples.json('snapshot-cancel-conflict-response.json', body)

    # heat-snapshots' own: change the stack, preview the restore, clone.
    client.expect(202, 'PUT', stack, {
        'template': dict(TEMPLATE, resources=dict(
            TEMPLATE['resources'],
            greeting={'type': 'OS::Heat::Value',
                      'properties': {'value': 'bonjour'}},
            extra={'type': 'OS::Heat::None'})),
        'parameters': {'length': 16}})
    client.wait(stack, 'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))
    _h, preview = client.expect(200, 'POST', snapshot + '/restore_preview')
    samples.json('stack-snapshot-restore-preview-response.json', preview)
    request = {'stack_name': 'web-copy', 'parameters': {}}
    samples.json('stack-snapshot-clone-request.json', request)
    headers, cloned = client.expect(201, 'POST', snapshot + '/clone',
                                    request)
    samples.json('stack-snapshot-clone-response.json', cloned)
    samples.http('stack-snapshot-clone-response.txt', '201 Created',
                 headers, ('location', 'x-openstack-request-id'))
    client.wait('%s/web-copy/%s' % (stacks, cloned['stack']['id']),
                'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))

    # Restore: 202 with Heat's JSON status page.
    _h, restored = client.expect(202, 'POST', snapshot + '/restore')
    samples.json('stack-snapshot-restore-response.json', restored)
    client.wait(stack, 'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))

    # Errors beyond Heat's: a clean 400 where Heat answers 500.
    status, _h, _raw, body = client.request('POST', snapshots,
                                            {'name': {'a': 1}})
    assert status == 400, status
    samples.json('stack-snapshot-bad-name-request.json', {'name': {'a': 1}})
    samples.json('stack-snapshot-bad-name-response.json', body)
    status, _h, _raw, body = client.request('POST', snapshots,
                                            {'name': 'x' * 256})
    assert status == 400, status
    samples.json('stack-snapshot-long-name-response.json', body)

    # Not found: Heat's fault body.
    status, _h, _raw, body = client.request(
        'GET', snapshots + '/00000000-0000-0000-0000-000000000000')
    assert status == 404, status
    samples.json('stack-snapshot-not-found-response.json', body)

    # Delete: 204, no body; the snapshot goes away in the background.
    status, headers, _raw, _body = client.request('DELETE', snapshot)
    assert status == 204, status
    samples.http('stack-snapshot-delete-response.txt', '204 No Content',
                 headers, ('x-openstack-request-id',))
    deadline = time.monotonic() + 60
    while client.request('GET', snapshot)[0] != 404:
        if time.monotonic() > deadline:
            raise SystemExit('snapshot %s was not deleted' % snap['id'])
        time.sleep(0.2)

    # A stack busy with a snapshot: a second one is refused with 409, and
    # the one in progress cannot be deleted (400), as in Heat.
    _h, created = client.expect(201, 'POST', stacks,
                                {'stack_name': 'slow',
                                 'template': SLOW_TEMPLATE})
    slow = '%s/slow/%s' % (stacks, created['stack']['id'])
    client.wait(slow, 'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))
    _h, busy = client.expect(200, 'POST', slow + '/snapshots',
                             {'name': 'first'})
    status, _h, _raw, body = client.request('POST', slow + '/snapshots',
                                            {'name': 'second'})
    assert status == 409, status
    samples.json('stack-snapshot-conflict-response.json', body)
    status, _h, _raw, body = client.request(
        'DELETE', '%s/snapshots/%s' % (slow, busy['id']))
    assert status == 400, status
    samples.json('stack-snapshot-delete-in-progress-response.json', body)
    # ... but it can be cancelled (heat-snapshots' own).
    _h, cancelled = client.expect(
        202, 'POST', '%s/snapshots/%s/cancel' % (slow, busy['id']))
    samples.json('snapshot-cancel-response.json', cancelled)
    client.wait(slow, 'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))

    # Another tenant's URL: 403 before anything is looked up.
    status, _h, _raw, body = client.request(
        'GET', snapshots.replace('/v1/%s/' % TENANT, '/v1/other/'))
    assert status == 403, status
    samples.json('stack-snapshot-forbidden-response.json', body)

    capture_policies(client, samples, stack_id)
    capture_kept_clone(client, samples)


def capture_policies(client, samples, stack_id):
    """Snapshot policies, a run, and the project's snapshots."""
    policies = '/v1/%s/snapshot_policies' % TENANT
    request = {'policy': {
        'name': 'nightly',
        'stacks': {'ids': [stack_id]},
        'schedule': {'cron': '0 2 * * *', 'timezone': 'Europe/Paris'},
        'retention': {'keep_last': 3, 'keep_daily': 7, 'keep_weekly': 4},
        'keep_after_stack_delete': False,
        'enabled': True,
    }}
    samples.json('snapshot-policy-create-request.json', request)
    _h, created = client.expect(201, 'POST', policies, request)
    samples.json('snapshot-policy-create-response.json', created)
    policy = '%s/%s' % (policies, created['policy']['id'])
    request = {'policy': {'enabled': False}}
    samples.json('snapshot-policy-update-request.json', request)
    client.expect(200, 'PATCH', policy, request)
    _h, run = client.expect(202, 'POST', policy + '/run')
    samples.json('snapshot-policy-run-response.json', run)
    deadline = time.monotonic() + 60
    while True:
        _h, runs = client.expect(200, 'GET', policy + '/runs')
        if runs['runs'][0]['status'] != 'IN_PROGRESS':
            break
        if time.monotonic() > deadline:
            raise SystemExit('run %s did not end' % run['run']['id'])
        time.sleep(0.2)
    samples.json('snapshot-policy-runs-response.json', runs)
    _h, preview = client.expect(200, 'GET', policy + '/prune_preview')
    samples.json('snapshot-policy-prune-preview-response.json', preview)
    _h, listed = client.expect(200, 'GET',
                               '/v1/%s/snapshots?limit=1' % TENANT)
    samples.json('project-snapshots-list-response.json', listed)


def capture_kept_clone(client, samples):
    """A snapshot kept after its stack (a policy with
    keep_after_stack_delete), cloned by the project-wide path.
    """
    stacks = '/v1/%s/stacks' % TENANT
    _h, created = client.expect(201, 'POST', stacks,
                                {'stack_name': 'db', 'template': TEMPLATE})
    stack = '%s/db/%s' % (stacks, created['stack']['id'])
    client.wait(stack, 'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))
    policies = '/v1/%s/snapshot_policies' % TENANT
    _h, policy = client.expect(201, 'POST', policies, {'policy': {
        'name': 'keep-db', 'stacks': {'ids': [created['stack']['id']]},
        'schedule': {'cron': '0 2 * * *', 'timezone': 'UTC'},
        'keep_after_stack_delete': True, 'enabled': False}})
    policy = '%s/%s' % (policies, policy['policy']['id'])
    _h, run = client.expect(202, 'POST', policy + '/run')
    deadline = time.monotonic() + 60
    while True:
        _h, runs = client.expect(200, 'GET', policy + '/runs')
        if runs['runs'][0]['status'] != 'IN_PROGRESS':
            break
        if time.monotonic() > deadline:
            raise SystemExit('the policy run did not end')
        time.sleep(0.2)
    snapshot_id = runs['runs'][0]['snapshots'][0]
    client.expect(204, 'DELETE', stack)
    client.wait(stack, 'stack', 'stack_status',
                lambda s: s == 'DELETE_COMPLETE')
    kept = '/v1/%s/snapshots/%s' % (TENANT, snapshot_id)
    client.wait(kept, 'snapshot', 'stack_deleted', bool)
    request = {'stack_name': 'db-restored', 'parameters': {'length': 16}}
    samples.json('project-snapshot-clone-request.json', request)
    headers, cloned = client.expect(201, 'POST', kept + '/clone', request)
    samples.json('project-snapshot-clone-response.json', cloned)
    samples.http('project-snapshot-clone-response.txt', '201 Created',
                 headers, ('location', 'x-openstack-request-id'))
    client.wait('%s/db-restored/%s' % (stacks, cloned['stack']['id']),
                'stack', 'stack_status',
                lambda s: not s.endswith('IN_PROGRESS'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--output', default=DEFAULT_OUTPUT,
                        help='Directory to write the samples to.')
    parser.add_argument('--keep', action='store_true',
                        help='Keep the temporary directory (logs, DB).')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='hs-samples-')
    port = free_port()
    process = start_service(workdir, port)
    try:
        capture(Client(port), Samples(args.output))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        if args.keep:
            print('kept %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
