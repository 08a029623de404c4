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

"""The ``openstack stack`` workflow on a fresh heat-snapshots-all.

A newcomer's session with the real ``openstack`` command line
(python-openstackclient and python-heatclient, unchanged) against the
embedded deployment and its ``local`` stack store: create --wait, the read
commands (resources, outputs, template, environment, files, events), a
snapshot, update --wait, restore, the event list, and delete --wait. Each
command and its status line go into a transcript, printed and attached to
the test.

Outside CI a missing ``openstack`` command skips the test; with CI=true it
fails it.
"""

import json
import os
import time

import fixtures
from oslotest import base as oslotest_base
from testtools import content

from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment as hs_deployment

# noauth's caller when the client sends no identity (api/auth.py).
PROJECT = clients.CLI_NOAUTH_PROJECT
CLI_TIMEOUT = 120
TEST_TIMEOUT = 600
WAIT = 120

TEMPLATE = """\
heat_template_version: 2018-08-31
description: The CLI session's stack.
parameters:
  length:
    type: number
    default: 8
resources:
  secret:
    type: OS::Heat::RandomString
    properties:
      length: {get_param: length}
  note:
    type: OS::Heat::Value
    properties:
      value: {get_file: note.txt}
outputs:
  secret_value:
    description: The random string.
    value: {get_attr: [secret, value]}
  note:
    value: {get_attr: [note, value]}
"""


def _get(row, key):
    """A field of the snapshot commands' output: python-heatclient
    prints show's body as it is (``{"snapshot": {...}}``), and some
    columns capitalised.
    """
    row = row.get('snapshot', row)
    return row.get(key, row.get(key.upper(), row.get(key.capitalize())))


class CLISessionTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.command = clients.openstack_command()
        if self.command is None:
            message = ('the openstack command (python-openstackclient) is '
                       'not installed')
            if config.in_ci():
                self.fail(message + ' (CI=true)')
            self.skipTest(message)
        # A deployment of its own: what a newcomer starts.
        self.service = hs_deployment.EmbeddedDeployment()
        try:
            self.service.start()
        except hs_deployment.StartFailed as error:
            self.fail(str(error))
        self.addCleanup(self.service.stop)
        self.endpoint = '%s/v1/%s' % (self.service.endpoint, PROJECT)
        self.workdir = self.useFixture(fixtures.TempDir()).path
        self.template = os.path.join(self.workdir, 't.yaml')
        with open(self.template, 'w') as f:
            f.write(TEMPLATE)
        with open(os.path.join(self.workdir, 'note.txt'), 'w') as f:
            f.write('from a file')
        self.transcript = []
        self.addOnException(self._attach_logs)
        self.addCleanup(self._show_transcript)

    def _attach_logs(self, exc_info):
        for name, path in self.service.log_files().items():
            try:
                with open(path, errors='replace') as f:
                    text = f.read()[-20000:]
            except OSError as error:
                text = '(%s)' % error
            self.addDetail('log:%s' % name, content.text_content(text))

    def _show_transcript(self):
        text = '\n'.join(self.transcript)
        self.addDetail('transcript', content.text_content(text))
        print('\n--- openstack CLI session on %s ---\n%s'
              % (self.endpoint, text))

    def openstack(self, *args, status=None, ok=True):
        """Run ``openstack <args>``; its stdout.

        :param status: how to make the transcript's status line of the
            output (by default the exit code and the last line).
        """
        started = time.monotonic()
        result = clients.run_openstack(self, self.command, self.endpoint,
                                       args, CLI_TIMEOUT, cwd=self.workdir)
        elapsed = time.monotonic() - started
        lines = [line.strip() for line in
                 (result.stdout or result.stderr).splitlines()
                 if line.strip()]
        line = status(result.stdout) if (status and result.returncode == 0) \
            else (lines[-1] if lines else '')
        self.transcript.append('$ openstack %s\n  exit %d (%.1f s): %s'
                               % (' '.join(args), result.returncode,
                                  elapsed, line))
        clients.check_exit(self, args, result, bool(ok))
        return result.stdout if ok else result.stderr

    def json_of(self, *args, status=None):
        return json.loads(self.openstack(*(args + ('-f', 'json')),
                                         status=status))

    def wait_status(self, name, wanted):
        deadline = time.monotonic() + WAIT
        while True:
            found = self.openstack('stack', 'show', name, '-f', 'value',
                                   '-c', 'stack_status').strip()
            if found == wanted or found.endswith('FAILED') or \
                    time.monotonic() > deadline:
                self.assertEqual(wanted, found)
                return
            time.sleep(1)

    def wait_snapshot(self, name, snapshot_id):
        deadline = time.monotonic() + WAIT
        while True:
            shown = self.json_of('stack', 'snapshot', 'show', name,
                                 snapshot_id,
                                 status=lambda out: 'status=%s' % (
                                     _get(json.loads(out), 'status')))
            if _get(shown, 'status') != 'IN_PROGRESS' or \
                    time.monotonic() > deadline:
                self.assertEqual('COMPLETE', _get(shown, 'status'), shown)
                return shown
            time.sleep(1)

    def test_session(self):
        name = 'cli-session'

        def last_line(out):
            lines = out.strip().splitlines()
            return lines[-1].strip() if lines else '(no output)'

        # Create and wait: --wait follows the stack's events.
        out = self.openstack('stack', 'create', '-t', self.template,
                             '--wait', '--poll', '1', '-f', 'value',
                             '-c', 'stack_status', name, status=last_line)
        self.assertEqual('CREATE_COMPLETE', last_line(out))
        self.assertIn('Stack CREATE completed successfully', out)

        shown = self.json_of('stack', 'show', name,
                             status=lambda out: '%s owner=%s tags=%s' % (
                                 json.loads(out)['stack_status'],
                                 json.loads(out)['stack_owner'],
                                 json.loads(out)['tags']))
        self.assertEqual('admin', shown['stack_owner'])
        self.assertEqual([], shown['tags'])

        resources = self.json_of(
            'stack', 'resource', 'list', name,
            status=lambda out: ', '.join(
                '%s %s' % (r['resource_name'], r['resource_status'])
                for r in json.loads(out)))
        self.assertEqual({'secret': 'CREATE_COMPLETE',
                          'note': 'CREATE_COMPLETE'},
                         {r['resource_name']: r['resource_status']
                          for r in resources})
        secret = self.json_of('stack', 'resource', 'show', name, 'secret',
                              status=lambda out: '%s %s' % (
                                  json.loads(out)['resource_type'],
                                  json.loads(out)['resource_status']))
        self.assertEqual('OS::Heat::RandomString', secret['resource_type'])
        self.assertEqual(8, len(secret['attributes']['value']))

        outputs = self.json_of('stack', 'output', 'list', name,
                               status=lambda out: ', '.join(
                                   o['output_key']
                                   for o in json.loads(out)))
        self.assertEqual(['note', 'secret_value'],
                         sorted(o['output_key'] for o in outputs))
        first = self.json_of('stack', 'output', 'show', name,
                             'secret_value',
                             status=lambda out: 'length %d' % len(
                                 json.loads(out)['output_value']))
        self.assertEqual(secret['attributes']['value'],
                         first['output_value'])
        note = self.json_of('stack', 'output', 'show', name, 'note',
                            status=lambda out: json.loads(out)[
                                'output_value'])
        self.assertEqual('from a file', note['output_value'])

        template = self.openstack('stack', 'template', 'show', name,
                                  status=lambda out: out.splitlines()[0])
        self.assertIn('OS::Heat::RandomString', template)
        environment = self.openstack('stack', 'environment', 'show', name,
                                     status=lambda out: ' '.join(
                                         out.split()[:4]))
        self.assertIn('parameters', environment)
        files = self.openstack('stack', 'file', 'list', name,
                               status=lambda out: ' '.join(out.split()))
        self.assertIn('from a file', files)

        # The five snapshot commands.
        snapshot = self.json_of('stack', 'snapshot', 'create', name,
                                '--name', 'before-update',
                                status=lambda out: 'status=%s' % (
                                    _get(json.loads(out), 'status')))
        snapshot_id = _get(snapshot, 'id')
        self.wait_snapshot(name, snapshot_id)
        listed = self.json_of('stack', 'snapshot', 'list', name,
                              status=lambda out: '%d snapshot(s)' % len(
                                  json.loads(out)))
        self.assertEqual([snapshot_id], [_get(s, 'id') for s in listed])

        # Update by name and wait: PUT follows the lookup's 302.
        out = self.openstack('stack', 'update', '-t', self.template,
                             '--parameter', 'length=12', '--wait',
                             '-f', 'value', '-c', 'stack_status', name,
                             status=last_line)
        self.assertEqual('UPDATE_COMPLETE', last_line(out))
        updated = self.json_of('stack', 'output', 'show', name,
                               'secret_value',
                               status=lambda out: 'length %d' % len(
                                   json.loads(out)['output_value']))
        self.assertEqual(12, len(updated['output_value']))

        self.openstack('stack', 'snapshot', 'restore', name, snapshot_id,
                       status=lambda out: 'accepted')
        self.wait_status(name, 'RESTORE_COMPLETE')
        restored = self.json_of('stack', 'output', 'show', name,
                                'secret_value',
                                status=lambda out: 'length %d' % len(
                                    json.loads(out)['output_value']))
        self.assertEqual(8, len(restored['output_value']))

        # The stack's history, as Heat records it.
        events = self.json_of(
            'stack', 'event', 'list', name,
            status=lambda out: '%d events, stack: %s' % (
                len(json.loads(out)), ' '.join(
                    e['resource_status'] for e in json.loads(out)
                    if e['resource_name'] == name)))
        stack_states = [e['resource_status'] for e in events
                        if e['resource_name'] == name]
        self.assertEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
                          'SNAPSHOT_IN_PROGRESS', 'SNAPSHOT_COMPLETE',
                          'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE',
                          'RESTORE_IN_PROGRESS', 'RESTORE_COMPLETE'],
                         stack_states)
        times = [e['event_time'] for e in events]
        self.assertEqual(sorted(times), times)
        secret_events = self.json_of(
            'stack', 'event', 'list', name, '--resource', 'secret',
            status=lambda out: ' '.join(
                e['resource_status'] for e in json.loads(out)))
        self.assertEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
                         [e['resource_status'] for e in secret_events][:2])
        event = self.json_of('stack', 'event', 'show', name, 'secret',
                             secret_events[1]['id'],
                             status=lambda out: '%s %s' % (
                                 json.loads(out)['resource_status'],
                                 json.loads(out)['resource_type']))
        self.assertEqual('CREATE_COMPLETE', event['resource_status'])
        self.assertEqual({'length': 8},
                         {k: v for k, v in
                          event['resource_properties'].items()
                          if k == 'length'})
        page = self.json_of('stack', 'event', 'list', name, '--limit', '2',
                            status=lambda out: '%d events' % len(
                                json.loads(out)))
        self.assertEqual(events[:2], page)

        self.openstack('stack', 'snapshot', 'delete', name, snapshot_id,
                       status=lambda out: 'deleted')
        deadline = time.monotonic() + WAIT
        while self.json_of('stack', 'snapshot', 'list', name,
                           status=lambda out: '%d snapshot(s)' % len(
                               json.loads(out))):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(1)

        # Delete by name and wait: DELETE follows the lookup's 302.
        out = self.openstack('stack', 'delete', '--wait', '-y', name,
                             status=last_line)
        # python-heatclient prints the events it saw while waiting; a
        # delete that ended before its first poll prints none (so it does
        # against Heat). The stack being gone is what the user relies on.
        if out.strip():
            self.assertIn('[%s]: DELETE_IN_PROGRESS  Stack DELETE started'
                          % name, out)
        error = self.openstack('stack', 'show', name, ok=False)
        self.assertIn('Stack not found: %s' % name, error)
