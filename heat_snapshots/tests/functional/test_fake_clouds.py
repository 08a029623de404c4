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

"""The engine process against clouds that fail, over real HTTP.

The installed ``heat-snapshots-engine`` runs (``stack_driver = heat``, on
MariaDB and RabbitMQ) against fake_cloud.py: Keystone, Heat, Cinder and
Glance answering in their own shapes, on a real socket.

* Heat answers every stack lookup with an HTML "404 Not Found" page (a
  proxy's), a 500, or nothing (a timeout), in turn. The stack check runs
  every second with a grace of one second (the defaults are 600 s and
  300 s: an hour of checks at the defaults is 6; the test waits for at
  least 12 per stack): no snapshot and no backup is deleted.
* The reconciler finds, through the ledger, our orphans (a backup and an
  image of a snapshot that is gone) beside foreign artifacts that look
  like ours: another project's ``heat-snapshots-weekly-db`` backup, a
  same-named backup in our project without markers, an image with our
  properties owned by another project, a second installation's backups
  and image. It deletes exactly our orphans.

Each test prints its count to fd 2 (CI logs show it).
"""

import hashlib
import logging
import os
import uuid

import fixtures
from oslotest import base as oslotest_base
import sqlalchemy as sa
from testtools import content

from heat_snapshots.db import models
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment
from heat_snapshots.tests.functional import fake_cloud
from heat_snapshots.tests.functional import service_lock
from heat_snapshots.tests.functional import waiters

PROJECT = 'project-a'
OTHER_PROJECT = 'project-b'
SNAPSHOT_ID_KEY = 'heat_snapshots_snapshot_id'
INSTALLATION_ID_KEY = 'heat_snapshots_installation_id'
CHECKS = 12
TIMEOUT = 180


class EngineOnFakeCloud(deployment.MySQLDeployment):
    """One heat-snapshots-engine on its own database, no API; its clouds
    are ``cloud`` (fake_cloud.FakeCloud). ``seed(connection)`` fills the
    database before the engine starts.
    """

    engines = 1

    def __init__(self, cloud, seed):
        super().__init__()
        self.cloud = cloud
        self.seed = seed

    def _conf(self):
        conf = super()._conf()
        url = self.cloud.url
        conf['heat_snapshots'].update({
            'stack_driver': 'heat',
            'host': 'fake-cloud-engine',
            'heartbeat_interval': 1,
            'reconcile_interval': 1,
            'reconcile_min_age': 0,
        })
        conf['heat_snapshots_heat'] = {
            'auth_type': 'none',
            'endpoint_override': url + '/heat/v1',
            'listen_notifications': 'false',
            'stack_check_interval': 1,
            'deleted_stack_grace': 1,
            'timeout': 1,
        }
        conf['heat_snapshots_clients'] = {
            'block_storage_endpoint_override':
                url + '/cinder/v3/%(project_id)s',
            'image_endpoint_override': url + '/glance',
            'timeout': 5,
        }
        conf['heat_snapshots_service_auth'] = {
            'auth_type': 'v3password',
            'auth_url': url + '/identity/v3',
            'username': 'heat-snapshots', 'password': 'secret',
            'user_domain_id': 'default', 'project_name': 'service',
            'project_domain_id': 'default',
        }
        return conf

    def _start(self):
        # No API; its section is written all the same.
        self.port = deployment.free_port()
        self.db_url = self.server_url.set(
            database=self.database).render_as_string(hide_password=False)
        self._execute(self._create_sql())
        self._created = True
        conf = self._write('heat.conf', self._conf())
        deployment.run_logged(
            deployment.command('heat-snapshots-manage',
                               'heat_snapshots.cmd.manage') +
            ['--config-file', conf, 'db', 'sync'],
            os.path.join(self.dir, 'heat-snapshots-manage.log'),
            deployment.StartFailed, deployment.START_TIMEOUT)
        engine = sa.create_engine(self.db_url)
        try:
            with engine.begin() as connection:
                self.seed(connection)
        finally:
            engine.dispose()
        name = 'heat-snapshots-engine-1'
        argv, env = self.engine_command(name, ['--config-file', conf])
        self._process(name, argv, env=env)
        self._wait('%s listening' % name,
                   lambda: self.engine_id(name) is not None)

    def engine_log(self):
        return deployment.tail(self.processes[0].log_path, 100000)


def report(line):
    # fd 2 itself: stderr may be a capture stream without a descriptor.
    os.write(2, ('heat-snapshots fake clouds: %s\n' % line).encode())


class FakeCloudTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TIMEOUT * 2, gentle=True))
        if 'OS_LOG_CAPTURE' not in os.environ:
            self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        self.cloud = self.useFixture(fake_cloud.FakeCloud())
        self.installation = str(uuid.uuid4())

    def start_engine(self, seed):
        # MariaDB and RabbitMQ are shared: the fault tests restart them, so
        # hold them (shared) for as long as this engine runs on them.
        self.useFixture(service_lock.ServerLock())
        service = EngineOnFakeCloud(self.cloud, seed)
        try:
            service.check_services()
        except deployment.ServiceUnavailable as error:
            if config.in_ci():
                self.fail('MariaDB and RabbitMQ are needed in CI: %s'
                          % error)
            self.skipTest(str(error))
        service.start()
        self.addCleanup(service.stop)
        self.addOnException(lambda exc_info: self.addDetail(
            'engine log', content.text_content(service.engine_log())))
        return service

    def rows(self, service, statement, **params):
        engine = sa.create_engine(service.db_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(statement), params))
        finally:
            engine.dispose()

    # --- what the database starts with -------------------------------------

    def seed_installation(self, connection):
        connection.execute(models.Installation.__table__.insert().values(
            id=1, installation_id=self.installation))

    def seed_snapshot(self, connection, stack_id, backup_id=None):
        snapshot_id = str(uuid.uuid4())
        connection.execute(models.Snapshot.__table__.insert().values(
            id=snapshot_id, name='nightly', stack_id=stack_id,
            stack_name='stack-%s' % stack_id[:8], project_id=PROJECT,
            action='CREATE', status='COMPLETE',
            status_reason='Stack SNAPSHOT completed successfully',
            data={}))
        if backup_id is not None:
            connection.execute(
                models.ResourceSnapshot.__table__.insert().values(
                    snapshot_id=snapshot_id, resource_name='vol',
                    resource_key=hashlib.sha256(b'vol').hexdigest(),
                    resource_type='OS::Cinder::Volume',
                    physical_resource_id='vol-1', action='SNAPSHOT',
                    status='COMPLETE', data={'backup_id': backup_id}))
        return snapshot_id

    def ledger(self, connection, plugin, name, snapshot_id, artifact_id=None,
               resource='vol', project=PROJECT):
        connection.execute(models.LedgerEntry.__table__.insert().values(
            id=str(uuid.uuid4()), plugin=plugin, project_id=project,
            name=name, snapshot_id=snapshot_id, resource_name=resource,
            installation_id=self.installation, artifact_id=artifact_id,
            state=models.LEDGER_CREATED if artifact_id
            else models.LEDGER_PENDING))

    def markers(self, snapshot_id, installation=None):
        return {SNAPSHOT_ID_KEY: snapshot_id,
                INSTALLATION_ID_KEY: installation or self.installation}

    # --- the tests ----------------------------------------------------------

    def test_heat_answers_that_prove_nothing_delete_nothing(self):
        stacks = [str(uuid.uuid4()) for _ in range(3)]
        backups = {}

        def seed(connection):
            self.seed_installation(connection)
            for stack_id in stacks:
                snapshot_id = str(uuid.uuid4())
                name = 'heat-snapshots-%s-vol-%s' % (snapshot_id,
                                                     uuid.uuid4())
                backup_id = self.cloud.add_backup(
                    PROJECT, name, self.markers(snapshot_id))
                snapshot_id = self.seed_snapshot(connection, stack_id,
                                                 backup_id)
                self.ledger(connection, 'OS::Cinder::Volume', name,
                            snapshot_id, backup_id)
                backups[backup_id] = snapshot_id
        service = self.start_engine(seed)

        def checked():
            counts = {stack_id: len(self.cloud.seen(
                'GET', '/heat/v1/%s/stacks/%s$' % (PROJECT, stack_id)))
                for stack_id in stacks}
            return min(counts.values()) >= CHECKS, counts
        counts = waiters.wait_for(checked, '%d stack checks' % CHECKS,
                                  timeout=TIMEOUT)
        answers = [r for r in self.cloud.seen('GET', '^/heat/')]
        snapshots = self.rows(service, 'SELECT id FROM hs_snapshots')
        deleted = len(backups) - len(snapshots)
        report('%d stack checks per stack (%s), %d Heat lookups answered '
               'in turn by an HTML 404, a 500 and no answer' % (
                   min(counts.values()), ', '.join(
                       str(n) for n in counts.values()), len(answers)))
        report('snapshots deleted by the HTML-404 run: %d' % deleted)
        self.assertEqual(0, deleted)
        self.assertEqual(set(backups.values()), {r[0] for r in snapshots})
        self.assertEqual([], self.cloud.deleted)
        self.assertEqual([], self.cloud.seen('DELETE', '.'))
        self.assertEqual(set(backups), set(self.cloud.backups))
        log = service.engine_log()
        self.assertIn('Stack check: Heat gave no usable answer', log)
        self.assertNotIn('Heat deleted stack', log)

    def test_reconciler_deletes_our_orphans_only(self):
        gone = str(uuid.uuid4())
        ours = self.markers(gone)
        other = self.markers(gone, installation=str(uuid.uuid4()))
        orphans = {}
        foreign = {}

        def seed(connection):
            self.seed_installation(connection)
            # Our orphans: a backup and an image of a snapshot that is
            # gone, each recorded in the ledger.
            name = 'heat-snapshots-%s-vol-%s' % (gone, uuid.uuid4())
            backup = self.cloud.add_backup(PROJECT, name, ours)
            self.ledger(connection, 'OS::Cinder::Volume', name, gone, backup)
            orphans[backup] = 'our backup'
            name = 'heat-snapshots-%s-server-%s' % (gone, uuid.uuid4())
            image = self.cloud.add_image(PROJECT, name, ours)
            self.ledger(connection, 'OS::Nova::Server', name, gone, image,
                        resource='server')
            orphans[image] = 'our image'
            # Another project's backup with a name like ours.
            foreign[self.cloud.add_backup(
                OTHER_PROJECT, 'heat-snapshots-weekly-db')] = \
                'heat-snapshots-weekly-db of another project'
            # The same name in our project, without markers; a ledger
            # entry (its id never recorded) names it.
            foreign[self.cloud.add_backup(
                PROJECT, 'heat-snapshots-weekly-db')] = \
                'heat-snapshots-weekly-db of our project, no markers'
            self.ledger(connection, 'OS::Cinder::Volume',
                        'heat-snapshots-weekly-db', gone)
            # An image with our properties, owned by another project.
            image = self.cloud.add_image(OTHER_PROJECT,
                                         'heat-snapshots-shared', ours)
            self.ledger(connection, 'OS::Nova::Server',
                        'heat-snapshots-shared', gone, image,
                        resource='server')
            foreign[image] = 'image with our properties, another owner'
            # A user's image of a server made from ours: Nova copied our
            # properties; no ledger entry.
            foreign[self.cloud.add_image(PROJECT, 'my-server-backup',
                                         ours)] = 'copy of our image'
            # A second installation's artifacts in our project, one under
            # a name our ledger records too.
            backup = self.cloud.add_backup(
                PROJECT, 'heat-snapshots-staging-vol', other)
            self.ledger(connection, 'OS::Cinder::Volume',
                        'heat-snapshots-staging-vol', gone)
            foreign[backup] = 'second installation\'s backup (ledgered name)'
            foreign[self.cloud.add_backup(
                PROJECT, 'heat-snapshots-%s-vol-%s' % (gone, uuid.uuid4()),
                other)] = 'second installation\'s backup'
            foreign[self.cloud.add_image(
                PROJECT, 'heat-snapshots-x', other)] = \
                'second installation\'s image'
        service = self.start_engine(seed)

        def reconciled():
            # Both orphans gone, and a later pass looked at the rest.
            done = set(orphans) <= set(self.cloud.deleted)
            passes = service.engine_log().count('Reconciler: ')
            return done and passes >= 3, (self.cloud.deleted, passes)
        waiters.wait_for(reconciled, 'our orphans deleted',
                         timeout=TIMEOUT)
        foreign_deleted = [foreign[a] for a in self.cloud.deleted
                           if a in foreign]
        report('our orphans deleted: %d of %d' % (
            len(set(orphans) & set(self.cloud.deleted)), len(orphans)))
        report('foreign artifacts deleted: %d' % len(foreign_deleted))
        self.assertEqual([], foreign_deleted)
        self.assertEqual(sorted(orphans), sorted(self.cloud.deleted))
        for artifact_id in foreign:
            self.assertTrue(artifact_id in self.cloud.backups or
                            artifact_id in self.cloud.images,
                            foreign[artifact_id])
        # Each project's own artifacts only, never a listing of all.
        self.assertEqual([], [r for r in self.cloud.requests
                              if 'all_tenants' in r[1] or
                              OTHER_PROJECT in r[1]])
        log = service.engine_log()
        self.assertIn('it is not ours', log)
