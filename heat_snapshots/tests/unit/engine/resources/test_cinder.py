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


from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import loading as ks_loading
from openstack import exceptions as sdk_exc
import requests

from heat_snapshots.common import clients
from heat_snapshots.common import context
from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.resources import cinder
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine import snapshots
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk
from heat_snapshots.tests import fake_clock
from heat_snapshots.tests.unit.engine.resources import fakes

BACKUPS = fakes.CINDER + '/' + fakes.PROJECT + '/backups'


def volume(name='vol', volume_id='vol-1'):
    return stacks_base.Resource(name=name, type='OS::Cinder::Volume',
                                physical_resource_id=volume_id)


def backup(status, backup_id='backup-1', fail_reason=None, **extra):
    # Made for fakes.SNAPSHOT_ID before the ledger existed: its snapshot
    # id marker proves it that snapshot's.
    body = {'id': backup_id, 'status': status, 'fail_reason': fail_reason,
            'name': 'heat-snapshots-x', 'volume_id': 'vol-1',
            'metadata': {'heat_snapshots_snapshot_id': fakes.SNAPSHOT_ID}}
    body.update(extra)
    return {'json': {'backup': body}}


class CinderPluginTest(fakes.CloudTestCase):

    def plugin(self, resource=None):
        resource = resource or volume()
        return cinder.CinderVolumePlugin(
            self.ctx, fakes.stack([resource]), resource, fakes.SNAPSHOT_ID)

    def poll(self, check, seconds=5):
        # The poll's waits take no time.
        clock = self.useFixture(fake_clock.FakeClock())
        walk.poll(check, clock.monotonic() + seconds, self.conf_fixture.conf,
                  'Resource vol SNAPSHOT')

    def test_registered(self):
        self.assertIs(cinder.CinderVolumePlugin,
                      registry.plugin_class('OS::Cinder::Volume'))

    def test_snapshot_makes_forced_tagged_backup(self):
        self.http.post(BACKUPS, status_code=202,
                       json={'backup': {'id': 'backup-1', 'name': 'n'}})
        self.http.get(BACKUPS + '/backup-1', **backup('available'))
        plugin = self.plugin()

        data = plugin.handle_snapshot()

        self.assertEqual({'backup_id': 'backup-1'}, data)
        post = self.requests('POST', '/backups')[0]
        body = post.json()['backup']
        self.assertEqual('vol-1', body['volume_id'])
        self.assertIs(True, body['force'])
        [entry] = db_api.ledger_list_live(self.ctx)
        self.assertEqual(entry.name, body['name'])
        self.assertEqual('heat-snapshots-%s-vol-%s' % (fakes.SNAPSHOT_ID,
                                                       entry.id),
                         body['name'])
        self.assertEqual(
            {'heat_snapshots_snapshot_id': fakes.SNAPSHOT_ID,
             'heat_snapshots_installation_id':
                 db_api.installation_id(self.ctx)},
            body['metadata'])
        self.assertEqual(('OS::Cinder::Volume', fakes.PROJECT, 'backup-1',
                          'CREATED', 'vol'),
                         (entry.plugin, entry.project_id, entry.artifact_id,
                          entry.state, entry.resource_name))
        self.assertEqual('caller-token', post.headers['X-Auth-Token'])
        self.assertTrue(plugin.check_snapshot_complete(data))

    def test_slow_backup_completes_over_several_polls(self):
        self.http.post(BACKUPS, status_code=202,
                       json={'backup': {'id': 'backup-1'}})
        self.http.get(BACKUPS + '/backup-1', [
            backup('creating'), backup('creating'), backup('creating'),
            backup('available')])
        plugin = self.plugin()
        data = plugin.handle_snapshot()

        self.poll(lambda: plugin.check_snapshot_complete(data))

        self.assertEqual(4, len(self.requests('GET', '/backups/backup-1')))

    def test_error_status_fails_with_cinder_reason(self):
        self.http.get(BACKUPS + '/backup-1',
                      **backup('error', fail_reason='Volume backend full'))
        plugin = self.plugin()

        error = self.assertRaises(
            exception.ResourceFailure,
            plugin.check_snapshot_complete, {'backup_id': 'backup-1'})
        self.assertIn('Volume backend full', error.message)

    def test_backup_gone_while_made_fails(self):
        self.http.get(BACKUPS + '/backup-1', **fakes.CINDER_NOT_FOUND)
        self.assertRaises(exception.ResourceFailure,
                          self.plugin().check_snapshot_complete,
                          {'backup_id': 'backup-1'})

    def test_timeout(self):
        self.http.get(BACKUPS + '/backup-1', **backup('creating'))
        plugin = self.plugin()
        self.assertRaises(
            exception.OperationTimeout, self.poll,
            lambda: plugin.check_snapshot_complete(
                {'backup_id': 'backup-1'}), seconds=0.05)

    def test_volume_never_made_has_nothing_to_back_up(self):
        plugin = self.plugin(volume(volume_id=None))
        self.assertEqual({}, plugin.handle_snapshot())
        self.assertTrue(plugin.check_snapshot_complete({}))
        self.assertEqual([], self.requests('POST', '/backups'))

    def test_restore_sets_backup_id(self):
        definition = {'type': 'OS::Cinder::Volume',
                      'properties': {'size': 1}}
        self.assertEqual(
            {'type': 'OS::Cinder::Volume',
             'properties': {'size': 1, 'backup_id': 'backup-1'}},
            self.plugin().handle_restore(definition,
                                         {'backup_id': 'backup-1'}))

    def test_delete_waits_until_gone(self):
        self.http.delete(BACKUPS + '/backup-1', status_code=202)
        self.http.get(BACKUPS + '/backup-1', [
            backup('available'), backup('deleting'),
            fakes.CINDER_NOT_FOUND])
        plugin = self.plugin()
        data = {'backup_id': 'backup-1'}

        plugin.handle_delete_snapshot(data)
        self.assertFalse(plugin.check_delete_snapshot_complete(data))
        self.assertTrue(plugin.check_delete_snapshot_complete(data))
        self.assertEqual(1, len(self.requests('DELETE', '/backup-1')))

    def test_delete_of_missing_backup_is_fine(self):
        self.http.delete(BACKUPS + '/backup-1', **fakes.CINDER_NOT_FOUND)
        self.http.get(BACKUPS + '/backup-1', **fakes.CINDER_NOT_FOUND)
        plugin = self.plugin()
        data = {'backup_id': 'backup-1'}
        plugin.handle_delete_snapshot(data)
        self.assertTrue(plugin.check_delete_snapshot_complete(data))

    def test_delete_error(self):
        self.http.get(BACKUPS + '/backup-1',
                      **backup('error_deleting', fail_reason='stuck'))
        self.assertRaises(exception.ResourceFailure,
                          self.plugin().check_delete_snapshot_complete,
                          {'backup_id': 'backup-1'})


class OldCinderTest(fakes.CloudTestCase):
    """Before microversion 3.43 a backup has no metadata."""

    cinder_version = '3.0'

    def test_snapshot_id_in_description(self):
        self.http.post(BACKUPS, status_code=202,
                       json={'backup': {'id': 'backup-1'}})
        resource = volume()
        plugin = cinder.CinderVolumePlugin(
            self.ctx, fakes.stack([resource]), resource, fakes.SNAPSHOT_ID)
        plugin.handle_snapshot()
        body = self.requests('POST', '/backups')[0].json()['backup']
        self.assertNotIn('metadata', body)
        self.assertIn(fakes.SNAPSHOT_ID, body['description'])
        # Recorded all the same; without markers it is never proven ours.
        self.assertEqual(['backup-1'], [e.artifact_id for e in
                                        db_api.ledger_list_live(self.ctx)])


class ServiceCredentialsTest(fakes.CloudTestCase):
    """No caller token: the service user, scoped to the stack's project.

    Cinder's endpoint comes from the Keystone catalog.
    """

    def test_catalog_and_project_scope(self):
        self.flags(group='heat_snapshots_clients',
                   block_storage_endpoint_override=None)
        group = 'heat_snapshots_service_auth'
        self.conf_fixture.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group=group)
        self.flags(group=group, auth_type='password',
                   auth_url='http://keystone.test/v3',
                   username='heat-snapshots', password='secret',
                   user_domain_id='default', project_name='service',
                   project_domain_id='default')
        token = ks_fixture.V3Token(project_id=fakes.PROJECT)
        service = token.add_service('block-storage')
        service.add_standard_endpoints(
            internal=fakes.CINDER + '/' + fakes.PROJECT)
        self.http.get('http://keystone.test/v3', json={
            'version': ks_fixture.V3Discovery('http://keystone.test/v3')})
        self.http.post('http://keystone.test/v3/auth/tokens', json=token,
                       headers={'X-Subject-Token': 'service-token'})
        self.http.post(BACKUPS, status_code=202,
                       json={'backup': {'id': 'backup-1'}})
        ctx = self.make_context()
        resource = volume()
        plugin = cinder.CinderVolumePlugin(
            ctx, fakes.stack([resource]), resource, fakes.SNAPSHOT_ID)

        self.assertEqual({'backup_id': 'backup-1'}, plugin.handle_snapshot())

        auth = self.requests('POST', '/auth/tokens')[0].json()['auth']
        self.assertEqual({'project': {'id': fakes.PROJECT}}, auth['scope'])
        self.assertEqual(
            'service-token',
            self.requests('POST', '/backups')[0].headers['X-Auth-Token'])


class CinderWalkTest(fakes.CloudTestCase):
    """Snapshot, restore and delete of a volume through the engine walks."""

    use_db = True

    def test_snapshot_restore_delete(self):
        cloud = fakes.FakeCinder(self.http)
        template = {'heat_template_version': '2018-08-31',
                    'resources': {'vol': {'type': 'OS::Cinder::Volume',
                                          'properties': {'size': 1}}}}
        the_stack = fakes.stack([volume()])
        the_stack.template = template
        driver = fakes.FakeDriver(self.conf_fixture.conf, the_stack)
        snapshot = db_api.snapshot_create(self.ctx, {
            'name': 'snap', 'stack_id': the_stack.id,
            'stack_name': the_stack.name, 'project_id': fakes.PROJECT,
            'action': 'CREATE', 'status': 'IN_PROGRESS',
            'data': snapshots.stack_data(the_stack)})
        conf = self.conf_fixture.conf

        outcome = snapshots.SnapshotWalk(conf, driver, self.ctx).run(
            the_stack.id, snapshot.id)

        self.assertEqual('COMPLETE', outcome.status)
        db_api.snapshot_update(self.ctx, snapshot.id,
                               {'status': outcome.status,
                                'data': outcome.data})
        saved = outcome.data['resources']['vol']
        [backup_id] = cloud.backups
        self.assertEqual({'backup_id': backup_id}, saved['resource_data'])
        self.assertEqual('vol-1', saved['resource_id'])

        snapshots.RestoreWalk(conf, driver, self.ctx).run(the_stack.id,
                                                          snapshot.id)
        restored_template = driver.restored[0][0]
        self.assertEqual(
            {'size': 1, 'backup_id': backup_id},
            restored_template['resources']['vol']['properties'])

        db_api.snapshot_update(self.ctx, snapshot.id,
                               {'action': 'DELETE', 'status': 'IN_PROGRESS'})
        snapshots.DeleteWalk(conf, driver, self.ctx).run(snapshot.id,
                                                         the_stack)
        self.assertRaises(exception.SnapshotIdNotFound, db_api.snapshot_get,
                          self.ctx, snapshot.id)
        self.assertEqual([backup_id], cloud.deleted)
        # The ledger shows it gone.
        self.assertEqual([], db_api.ledger_list_live(self.ctx))


class DeleteProofTest(fakes.CloudTestCase):
    """Only Cinder's own 404, in the backup's project, means "gone"."""

    data = {'backup_id': 'backup-1'}

    def plugin(self, ctx=None, the_stack=None):
        resource = volume()
        return cinder.CinderVolumePlugin(
            ctx or self.ctx, the_stack or fakes.stack([resource]), resource,
            fakes.SNAPSHOT_ID)

    def test_cinder_not_found_in_owning_project_is_gone(self):
        self.http.delete(BACKUPS + '/backup-1', **fakes.CINDER_NOT_FOUND)
        self.http.get(BACKUPS + '/backup-1', **fakes.CINDER_NOT_FOUND)
        plugin = self.plugin()
        plugin.handle_delete_snapshot(self.data)
        self.assertTrue(plugin.check_delete_snapshot_complete(self.data))

    def test_html_404_from_a_proxy_fails_the_delete(self):
        self.http.delete(BACKUPS + '/backup-1', **fakes.PROXY_NOT_FOUND)
        self.http.get(BACKUPS + '/backup-1', **fakes.PROXY_NOT_FOUND)
        plugin = self.plugin()

        error = self.assertRaises(exception.ResourceFailure,
                                  plugin.handle_delete_snapshot, self.data)
        self.assertIn('does not prove it is gone', error.message)
        self.assertIn('text/html', error.message)
        self.assertRaises(exception.ResourceFailure,
                          plugin.check_delete_snapshot_complete, self.data)

    def test_404_seen_from_another_project_fails_the_delete(self):
        # An admin of project-b deletes a snapshot of project-a with its
        # own token: Cinder cannot see project-a's backup from there.
        other = fakes.CINDER + '/project-b/backups/backup-1'
        self.http.delete(other, **fakes.CINDER_NOT_FOUND)
        self.http.get(other, **fakes.CINDER_NOT_FOUND)
        ctx = self.make_context(project_id='project-b',
                                auth_token='admin-token')
        plugin = self.plugin(ctx)

        error = self.assertRaises(exception.ResourceFailure,
                                  plugin.handle_delete_snapshot, self.data)
        self.assertIn('ran in project project-b, not in its project '
                      'project-a', error.message)
        self.assertRaises(exception.ResourceFailure,
                          plugin.check_delete_snapshot_complete, self.data)

    def test_server_error_fails_the_delete(self):
        self.http.get(BACKUPS + '/backup-1', **backup('available'))
        self.http.delete(BACKUPS + '/backup-1', status_code=503,
                         headers={'Content-Type': 'application/json'},
                         json={'computeFault': {
                             'code': 503, 'message': 'backup service'}})
        self.assertRaises(sdk_exc.HttpException,
                          self.plugin().handle_delete_snapshot, self.data)

    def test_resumed_delete_with_the_service_user_in_the_project(self):
        self.use_service_user()
        self.http.get(BACKUPS + '/backup-1', **backup('available'))
        self.http.delete(BACKUPS + '/backup-1', **fakes.CINDER_NOT_FOUND)
        plugin = self.plugin(context.service_context(fakes.PROJECT))

        plugin.handle_delete_snapshot(self.data)

        self.assertEqual([{'project': {'id': fakes.PROJECT}}],
                         self.token_scopes())
        self.assertEqual(
            'token-of-%s' % fakes.PROJECT,
            self.requests('DELETE', '/backup-1')[0].headers['X-Auth-Token'])

    def test_no_project_no_token_makes_no_call(self):
        self.use_service_user()
        plugin = self.plugin(context.get_admin_context())
        self.assertRaises(clients.NoProjectScope,
                          plugin.handle_delete_snapshot, self.data)
        self.assertEqual([], self.requests('DELETE', '/backup-1'))
        self.assertEqual([], self.token_scopes())


class SnapshotProjectTest(fakes.CloudTestCase):
    """A snapshot whose stack is gone: its recorded project owns it."""

    use_db = True

    def setUp(self):
        super().setUp()
        self.snapshot = db_api.snapshot_create(self.ctx, {
            'name': 'snap', 'stack_id': fakes.STACK_ID,
            'stack_name': 'stack', 'project_id': fakes.PROJECT,
            'action': 'DELETE', 'status': 'IN_PROGRESS', 'data': {}})

    def plugin(self, ctx):
        return cinder.CinderVolumePlugin(ctx, None, volume(),
                                         self.snapshot.id)

    def test_owner_from_the_snapshot(self):
        self.http.get(BACKUPS + '/backup-1', **fakes.CINDER_NOT_FOUND)
        self.plugin(self.ctx).handle_delete_snapshot(
            {'backup_id': 'backup-1'})

    def test_other_project(self):
        self.http.get(fakes.CINDER + '/project-b/backups/backup-1',
                      **fakes.CINDER_NOT_FOUND)
        ctx = self.make_context(project_id='project-b', auth_token='t')
        self.assertRaises(exception.ResourceFailure,
                          self.plugin(ctx).handle_delete_snapshot,
                          {'backup_id': 'backup-1'})


class CinderTimeoutTest(fakes.CloudTestCase):
    """A Cinder that hangs fails the call; it never blocks for ever."""

    def test_requests_carry_the_configured_timeout(self):
        self.flags(group='heat_snapshots_clients', timeout=17)
        self.http.get(BACKUPS + '/backup-1', **backup('available'))
        cinder.CinderVolumePlugin(
            self.ctx, fakes.stack([volume()]), volume(),
            fakes.SNAPSHOT_ID).check_snapshot_complete(
                {'backup_id': 'backup-1'})
        self.assertEqual([17], list({r.timeout for r in
                                     self.http.request_history}))

    def test_timeout_is_a_clear_error(self):
        for exc in (requests.exceptions.ConnectTimeout,
                    requests.exceptions.ReadTimeout):
            self.http.post(BACKUPS, exc=exc)
            self.http.delete(BACKUPS + '/backup-1', exc=exc)
            self.http.get(BACKUPS + '/backup-1', exc=exc)
            plugin = cinder.CinderVolumePlugin(
                self.ctx, fakes.stack([volume()]), volume(),
                fakes.SNAPSHOT_ID)
            for call in (plugin.handle_snapshot,
                         lambda: plugin.handle_delete_snapshot(
                             {'backup_id': 'backup-1'})):
                error = self.assertRaises(clients.CloudTimeout, call)
                self.assertIn('Cinder did not answer within 60 seconds',
                              error.message)
                self.assertIsInstance(error, exception.ServiceUnavailable)


class AmbiguousDeleteWalkTest(fakes.CloudTestCase):
    """A delete that cannot prove its backup gone fails and is retried."""

    use_db = True

    def test_html_404_then_retry(self):
        the_stack = fakes.stack([volume()])
        driver = fakes.FakeDriver(self.conf_fixture.conf, the_stack)
        snapshot = db_api.snapshot_create(self.ctx, {
            'id': fakes.SNAPSHOT_ID,
            'name': 'snap', 'stack_id': the_stack.id,
            'stack_name': the_stack.name, 'project_id': fakes.PROJECT,
            'action': 'DELETE', 'status': 'IN_PROGRESS',
            'data': snapshots.stack_data(the_stack)})
        db_api.resource_snapshot_set(self.ctx, snapshot.id, 'vol', {
            'resource_type': 'OS::Cinder::Volume',
            'physical_resource_id': 'vol-1', 'action': 'SNAPSHOT',
            'status': 'COMPLETE', 'data': {'backup_id': 'backup-1'}})
        self.http.delete(BACKUPS + '/backup-1', [fakes.PROXY_NOT_FOUND,
                                                 fakes.CINDER_NOT_FOUND])
        self.http.get(BACKUPS + '/backup-1', [
            backup('available'), backup('available'),
            fakes.CINDER_NOT_FOUND])
        walker = snapshots.DeleteWalk(self.conf_fixture.conf, driver,
                                      context.service_context(fakes.PROJECT))
        self.use_service_user()

        outcome = walker.run(snapshot.id)
        self.assertEqual('FAILED', outcome.status)
        self.assertIn('does not prove it is gone', outcome.reason)

        failed = db_api.snapshot_get(self.ctx, snapshot.id)
        self.assertEqual(('DELETE', 'FAILED'),
                         (failed.action, failed.status))
        self.assertEqual(['vol'], [r.resource_name for r in
                                   db_api.resource_snapshot_list(
                                       self.ctx, snapshot.id)])

        # Resumed by the next DELETE: claimed again, and it finishes.
        db_api.snapshot_update(self.ctx, snapshot.id,
                               {'status': 'IN_PROGRESS'})
        self.assertEqual('COMPLETE', walker.run(snapshot.id).status)
        self.assertRaises(exception.SnapshotIdNotFound, db_api.snapshot_get,
                          self.ctx, snapshot.id)
