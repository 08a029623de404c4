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

"""The base of every functional test, and one test class per deployment.

A scenario class is a plain mixin holding ``test_*`` methods;
``for_each_deployment`` makes ``<Scenario>_<deployment>`` test classes of
it, one per deployment of HS_FUNCTIONAL_DEPLOYMENTS (or ``external`` with
HS_FUNCTIONAL_ENDPOINT), in the module that calls it.
"""

import logging
import os
import time
import uuid

import fixtures
from heatclient import exc as heat_exc
from oslotest import base as oslotest_base
from testtools import content

from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment as hs_deployment
from heat_snapshots.tests.functional import faults
from heat_snapshots.tests.functional import service_lock
from heat_snapshots.tests.functional import waiters

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


def attach_log_tails(test, paths):
    """On a failure of ``test``, attach what each log ({name: path}) got
    since now.
    """
    offsets = {}
    for name, path in paths.items():
        try:
            offsets[name] = (path, os.path.getsize(path))
        except OSError:
            offsets[name] = (path, 0)

    def attach(exc_info):
        if issubclass(exc_info[0], test.skipException):
            return
        for name, (path, offset) in offsets.items():
            try:
                with open(path, 'rb') as f:
                    f.seek(offset)
                    text = f.read().decode('utf-8', 'replace')
            except OSError as error:
                text = '(%s)' % error
            test.addDetail('log:%s' % name, content.text_content(text))

    test.addOnException(attach)


class FunctionalTest(oslotest_base.BaseTestCase):
    """A test against one deployment, through the API only."""

    #: Set by for_each_deployment.
    deployment_name = None
    #: Whether the test restarts the shared servers (MariaDB, RabbitMQ):
    #: it then has them for itself (service_lock.py).
    restarts_servers = False

    def setUp(self):
        super().setUp()
        if 'OS_LOG_CAPTURE' not in os.environ:
            # The HTTP exchanges, shown with a failure only.
            self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.server_lock = None
        if self.restarts_servers or self.deployment_name not in (
                config.EMBEDDED, config.EXTERNAL):
            self.server_lock = self.useFixture(service_lock.ServerLock(
                exclusive=self.restarts_servers))
        try:
            self.deployment = hs_deployment.get(self.deployment_name)
        except hs_deployment.ServiceUnavailable as error:
            if config.in_ci():
                # CI must run every deployment: a missing service is a
                # broken job, not a reason to pass.
                self.fail('%s (CI=true: a missing service fails the '
                          'deployment\'s tests)' % error)
            self.skipTest(str(error))
        if self.server_lock is not None:
            self._after_server_restarts()
        self._watch_logs()
        primary, alt, admin = clients.callers(self.deployment.endpoint)
        self._make_alt = alt
        self._make_admin = admin
        self.caller = primary()
        self.heat = self.caller.heat

    def _after_server_restarts(self):
        # Servers restarted since the deployment last answered: wait until
        # it has reconnected.
        seen = getattr(self.deployment, 'servers_generation', None)
        if seen is not None and seen != self.server_lock.generation:
            self.deployment.wait_ready()
        self.deployment.servers_generation = self.server_lock.generation

    # --- logs of a failed test ----------------------------------------------

    def _watch_logs(self):
        attach_log_tails(self, self.deployment.log_files())

    # --- identities -----------------------------------------------------

    def _identity(self, make):
        try:
            return make()
        except clients.MissingCredentials as error:
            self.skipTest(str(error))

    def alt_caller(self):
        """A user of another project."""
        return self._identity(self._make_alt)

    def admin_caller(self):
        """An admin (of the primary caller's project with noauth)."""
        return self._identity(self._make_admin)

    # --- helpers ----------------------------------------------------------

    def unique_name(self, prefix='hsf'):
        return '%s-%s' % (prefix, uuid.uuid4().hex[:10])

    def assertStatus(self, expected, response):
        self.assertEqual(expected, response.status_code,
                         '%s %s -> %s %s' % (
                             response.request.method, response.request.url,
                             response.status_code, response.text))

    def assertError(self, status, error_type, response, message=None):
        """Heat's fault body: status, error type and (part of) message."""
        self.assertStatus(status, response)
        body = response.json()
        self.assertEqual(status, body['code'])
        self.assertEqual(error_type, body['error']['type'], body)
        if message is not None:
            self.assertIn(message, body['error'].get('message') or '')
        return body

    def create_stack(self, tmpl, parameters=None, caller=None, wait=True,
                     name=None):
        """Create a stack through heatclient; 'name/id'.

        Deleted at cleanup, a 404 being fine.
        """
        caller = caller or self.caller
        name = name or self.unique_name()
        body = caller.heat.stacks.create(stack_name=name, template=tmpl,
                                         parameters=parameters or {})
        stack = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self.delete_stack, stack, caller)
        if wait:
            waiters.wait_for_stack_status(caller, stack, 'CREATE_COMPLETE')
        return stack

    def delete_stack(self, stack, caller=None):
        caller = caller or self.caller
        try:
            caller.heat.stacks.delete(stack)
        except heat_exc.HTTPNotFound:
            return
        waiters.wait_for_stack_deleted(caller, stack)

    def update_stack(self, stack, tmpl, parameters=None, caller=None):
        caller = caller or self.caller
        caller.heat.stacks.update(stack, template=tmpl,
                                  parameters=parameters or {})
        return waiters.wait_for_stack_status(caller, stack,
                                             'UPDATE_COMPLETE')

    def show_stack(self, stack, caller=None):
        response = (caller or self.caller).get('/stacks/%s' % stack)
        self.assertStatus(200, response)
        return response.json()['stack']

    def outputs(self, stack, caller=None):
        """{output key: value} as the stack shows them."""
        return {o['output_key']: o.get('output_value')
                for o in self.show_stack(stack, caller)['outputs']}

    def resources(self, stack, caller=None):
        """{resource name: heatclient Resource}."""
        return {r.resource_name: r for r in
                (caller or self.caller).heat.resources.list(stack)}

    def snapshot(self, stack, name=None, caller=None, wait=True,
                 tenant=None):
        """POST a snapshot (200), wait until COMPLETE; the snapshot.

        Deleted at cleanup unless already gone.
        """
        caller = caller or self.caller
        body = {'name': name} if name is not None else {}
        response = caller.post('/stacks/%s/snapshots' % stack, body,
                               tenant=tenant)
        self.assertStatus(200, response)
        snapshot = response.json()
        self.assertEqual(('CREATE', 'IN_PROGRESS'),
                         (snapshot['action'], snapshot['status']))
        self.addCleanup(self.delete_snapshot, stack, snapshot['id'],
                        caller, tenant)
        if wait:
            snapshot = waiters.wait_for_snapshot_status(
                caller, stack, snapshot['id'], 'COMPLETE')
        return snapshot

    def delete_snapshot(self, stack, snapshot_id, caller=None, tenant=None):
        """Delete and wait for the 404; gone or in progress is fine.

        A snapshot still being created goes with its stack.
        """
        caller = caller or self.caller
        response = caller.delete('/stacks/%s/snapshots/%s'
                                 % (stack, snapshot_id), tenant=tenant)
        if response.status_code in (400, 404):
            return
        self.assertStatus(204, response)
        waiters.wait_for_snapshot_deleted(caller, stack, snapshot_id)

    def show_snapshot(self, stack, snapshot_id, caller=None):
        response = (caller or self.caller).get(
            '/stacks/%s/snapshots/%s' % (stack, snapshot_id))
        self.assertStatus(200, response)
        return response.json()['snapshot']

    def list_snapshots(self, stack, caller=None):
        response = (caller or self.caller).get('/stacks/%s/snapshots'
                                               % stack)
        self.assertStatus(200, response)
        return {s['id']: s for s in response.json()['snapshots']}

    def restore(self, stack, snapshot_id, caller=None):
        """POST restore (202), wait for RESTORE_COMPLETE; the stack."""
        caller = caller or self.caller
        response = caller.post('/stacks/%s/snapshots/%s/restore'
                               % (stack, snapshot_id))
        self.assertStatus(202, response)
        return waiters.wait_for_stack_status(caller, stack,
                                             'RESTORE_COMPLETE')


def for_each_deployment(scenarios, namespace):
    """Add ``<scenarios>_<deployment>`` test classes to ``namespace``.

    :param scenarios: a mixin class with the test methods.
    :param namespace: the calling module's globals().
    """
    for name in config.deployments():
        class_name = '%s_%s' % (scenarios.__name__, name)
        namespace[class_name] = type(class_name,
                                     (scenarios, FunctionalTest),
                                     {'deployment_name': name,
                                      '__module__': namespace['__name__']})


# --- fault injection (test_faults.py, faults_suite.py) ---------------

ENGINE_DOWN = 'Engine went down during %s'
# Long enough never to end by itself during a test.
HOLD = 120
# Short holds that a recovered operation then waits through again.
SHORT_HOLD = 3


def test_resource(value='v', depends_on=None, **waits):
    """An OS::Heat::TestResource waiting ``waits`` {operation: secs}."""
    properties = {'value': value}
    if waits:
        properties['action_wait_secs'] = waits
    definition = {'type': 'OS::Heat::TestResource',
                  'properties': properties}
    if depends_on:
        definition['depends_on'] = depends_on
    return definition


class FaultTestBase(FunctionalTest):
    """Kills, waits for the recovery, checks what is left."""

    deployment_name = faults.NAME

    def setUp(self):
        if config.endpoint() or config.MYSQL not in config.deployments():
            self.skipTest('the fault tests run on a mysql deployment of '
                          'their own; HS_FUNCTIONAL_ENDPOINT or '
                          'HS_FUNCTIONAL_DEPLOYMENTS leaves mysql out')
        super().setUp()
        self.db = self.deployment.reader()
        # A test that failed half way may have left an engine down.
        self.deployment.start_engines()
        self.addCleanup(self.deployment.start_engines)
        self.figures = {'test': self.id().rsplit('.', 1)[-1], 'phase': None,
                        'kills': 0, 'killed': [], 'server_restarts': 0}
        self.addCleanup(self._record_figures)
        self._killed_at = None

    def _record_figures(self):
        line = faults.record_figures(self.figures)
        print('heat-snapshots fault figures: %s' % line)
        self.addDetail('fault-figures', content.text_content(line))

    # --- stacks and snapshots -------------------------------------------

    @staticmethod
    def stack_id(stack):
        return stack.split('/')[1]

    def start_snapshot(self, stack):
        response = self.caller.post('/stacks/%s/snapshots' % stack, {})
        self.assertStatus(200, response)
        snapshot_id = response.json()['id']
        # Goes with the stack otherwise; gone already is fine.
        self.addCleanup(self.delete_snapshot, stack, snapshot_id)
        return snapshot_id

    def api(self, method, path, expected, timeout=None):
        """Send until the answer is not 503 (an engine killed while it
        answered, a broker reconnecting); assert ``expected``.
        """
        def send():
            try:
                response = self.caller.request(method, path)
            except Exception:  # nosec: the API reconnecting
                return None
            # (A response of 4xx is false.)
            return None if response.status_code == 503 else [response]
        response = faults.wait_for(
            send, '%s %s answered' % (method, path),
            timeout or faults.RECOVERY_TIME, interval=0.5)[0]
        if expected is not None:
            self.assertStatus(expected, response)
        return response

    def wait_db(self, check, what, timeout=faults.RECOVERY_TIME):
        return faults.wait_for(check, what, timeout)

    # --- faults ---------------------------------------------------------

    def kill_engine_of(self, engine_id, phase):
        """SIGKILL the engine process running as ``engine_id``."""
        process = self.deployment.engine_by_id(engine_id)
        self.assertIsNotNone(process, 'no engine process runs as %s'
                                      % engine_id)
        self.deployment.kill_engine(process.name)
        self._killed(phase, [process.name])
        return process.name

    def kill_all_engines(self, phase):
        names = [p.name for p in self.deployment.engine_processes()]
        for name in names:
            self.deployment.kill_engine(name)
        self._killed(phase, names)

    def _killed(self, phase, names):
        self._killed_at = time.monotonic()
        self.figures['phase'] = phase
        self.figures['kills'] += len(names)
        self.figures['killed'].extend(names)

    # --- after the recovery period ------------------------------------------

    def assertRecovered(self, stack, snapshot_ids=()):
        """Nothing of the stack IN_PROGRESS or locked; artifacts known.

        Waits for the recovery first; records the figures.
        :returns: the stack's row.
        """
        stack_id = self.stack_id(stack)

        def settled():
            row = self.db.stack(stack_id)
            if row is None or row['status'] == 'IN_PROGRESS':
                return None
            if self.db.locks(stack_id):
                return None
            for snapshot_id in snapshot_ids:
                snapshot = self.db.snapshot(snapshot_id)
                if snapshot and snapshot['status'] == 'IN_PROGRESS':
                    return None
            return row
        row = self.wait_db(settled, 'stack %s and its snapshots settled'
                           % stack)
        if self._killed_at is not None:
            self.figures['recovery_secs'] = round(
                time.monotonic() - self._killed_at, 1)
        left = self.db.in_progress()
        self.figures['in_progress_after_recovery'] = (
            len(left['snapshots']) + len(left['stacks']))
        resources = self.db.resources_in_progress()
        self.figures['resources_in_progress_after_recovery'] = len(
            resources)
        self.assertEqual({'snapshots': [], 'stacks': []}, left)
        self.assertEqual([], resources)
        self.assertEqual([], self.db.locks(stack_id))
        self.assertArtifactsReferenced()
        # The API shows the same.
        shown = self.api('GET', '/stacks/%s' % stack, 200).json()['stack']
        self.assertNotIn('IN_PROGRESS', shown['stack_status'])
        return row

    def assertArtifactsReferenced(self):
        unreferenced = self.db.unreferenced_artifacts()
        self.figures['unreferenced_artifacts'] = len(unreferenced)
        self.assertEqual([], unreferenced)

    def assertSnapshotFailedByRecovery(self, stack, snapshot_id):
        snapshot = self.api('GET', '/stacks/%s/snapshots/%s'
                            % (stack, snapshot_id), 200).json()['snapshot']
        self.assertEqual(('CREATE', 'FAILED'),
                         (snapshot['action'], snapshot['status']))
        self.assertEqual(ENGINE_DOWN % 'snapshot', snapshot['status_reason'])

    def assertSnapshotDeletable(self, stack, snapshot_id):
        """DELETE (204, or 404 once recovery finished it), then 404."""
        response = self.api('DELETE', '/stacks/%s/snapshots/%s'
                            % (stack, snapshot_id), None)
        self.assertIn(response.status_code, (204, 404), response.text)
        waiters.wait_for_snapshot_deleted(self.caller, stack, snapshot_id,
                                          timeout=faults.RECOVERY_TIME)
        self.api('GET', '/stacks/%s/snapshots/%s' % (stack, snapshot_id),
                 404)
        self.assertIsNone(self.db.snapshot(snapshot_id))
        self.assertEqual([], self.db.artifacts(snapshot_id))
        self.assertArtifactsReferenced()

    def assertNewSnapshotWorks(self, stack, artifacts=1):
        snapshot = self.snapshot(stack)
        self.assertEqual('COMPLETE', snapshot['status'])
        self.assertEqual(artifacts,
                         len(self.db.artifacts(snapshot['id'])))
        self.assertArtifactsReferenced()
        return snapshot

    def assertStackFailedByRecovery(self, stack, action):
        shown = self.api('GET', '/stacks/%s' % stack, 200).json()['stack']
        self.assertEqual('%s_FAILED' % action, shown['stack_status'])
        self.assertEqual(ENGINE_DOWN % action.lower(),
                         shown['stack_status_reason'])
