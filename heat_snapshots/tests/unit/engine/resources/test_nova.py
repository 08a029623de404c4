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

import requests

from heat_snapshots.common import clients
from heat_snapshots.common import context
from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.resources import nova
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk
from heat_snapshots.tests import fake_clock
from heat_snapshots.tests.unit.engine.resources import fakes

SERVER = fakes.NOVA + '/servers/server-1'
IMAGE = fakes.GLANCE + '/v2/images/image-1'
NOT_FOUND = fakes.GLANCE_NOT_FOUND


def server_resource(server_id='server-1'):
    return stacks_base.Resource(name='server', type='OS::Nova::Server',
                                physical_resource_id=server_id)


def image(status):
    return {'json': {'id': 'image-1', 'name': 'heat-snapshots-x',
                     'status': status, 'visibility': 'private',
                     'owner': fakes.PROJECT,
                     'heat_snapshots_snapshot_id': fakes.SNAPSHOT_ID}}


def server(task_state=None, status='ACTIVE'):
    return {'json': {'server': {'id': 'server-1', 'status': status,
                                'OS-EXT-STS:task_state': task_state}}}


class NovaPluginTest(fakes.CloudTestCase):

    def plugin(self, resource=None):
        resource = resource or server_resource()
        return nova.NovaServerPlugin(
            self.ctx, fakes.stack([resource]), resource, fakes.SNAPSHOT_ID)

    def poll(self, check, seconds=5):
        # The poll's waits take no time.
        clock = self.useFixture(fake_clock.FakeClock())
        walk.poll(check, clock.monotonic() + seconds, self.conf_fixture.conf,
                  'Resource server SNAPSHOT')

    def test_registered(self):
        self.assertIs(nova.NovaServerPlugin,
                      registry.plugin_class('OS::Nova::Server'))

    def test_snapshot_creates_image_named_and_tagged(self):
        self.http.post(SERVER + '/action', status_code=202,
                       json={'image_id': 'image-1'})
        self.http.get(IMAGE, **image('active'))
        self.http.get(SERVER, **server())
        plugin = self.plugin()

        data = plugin.handle_snapshot()

        self.assertEqual({'image_id': 'image-1'}, data)
        action = self.requests('POST', '/action')[0].json()
        [entry] = db_api.ledger_list_live(self.ctx)
        self.assertEqual(
            {'createImage': {
                'name': 'heat-snapshots-%s-server-%s' % (fakes.SNAPSHOT_ID,
                                                         entry.id),
                'metadata': {
                    'heat_snapshots_snapshot_id': fakes.SNAPSHOT_ID,
                    'heat_snapshots_installation_id':
                        db_api.installation_id(self.ctx)}}},
            action)
        self.assertEqual(('OS::Nova::Server', 'image-1', 'CREATED'),
                         (entry.plugin, entry.artifact_id, entry.state))
        self.assertTrue(plugin.check_snapshot_complete(data))

    def test_old_nova_gives_image_in_location(self):
        self.nova_version = '2.1'
        self.http.get(fakes.NOVA, json={'version': fakes.version(
            fakes.NOVA, '2.1', '2.1')})
        self.http.post(SERVER + '/action', status_code=202, headers={
            'Location': fakes.GLANCE + '/v2/images/image-1'})
        self.assertEqual({'image_id': 'image-1'},
                         self.plugin().handle_snapshot())

    def test_waits_for_active_image_and_clear_task_state(self):
        self.http.get(IMAGE, [image('queued'), image('saving'),
                              image('active'), image('active')])
        self.http.get(SERVER, [server('image_pending_upload'), server()])
        plugin = self.plugin()
        data = {'image_id': 'image-1'}

        self.poll(lambda: plugin.check_snapshot_complete(data))

        self.assertEqual(4, len(self.requests('GET', '/images/image-1')))
        self.assertEqual(2, len(self.requests('GET', '/servers/server-1')))

    def test_killed_image_fails(self):
        for status in ('killed', 'deleted'):
            self.http.get(IMAGE, **image(status))
            error = self.assertRaises(
                exception.ResourceFailure,
                self.plugin().check_snapshot_complete,
                {'image_id': 'image-1'})
            self.assertIn(status, error.message)

    def test_server_error_fails(self):
        self.http.get(IMAGE, **image('active'))
        self.http.get(SERVER, **server(status='ERROR'))
        self.assertRaises(exception.ResourceFailure,
                          self.plugin().check_snapshot_complete,
                          {'image_id': 'image-1'})

    def test_image_gone_while_made_fails(self):
        self.http.get(IMAGE, **NOT_FOUND)
        self.assertRaises(exception.ResourceFailure,
                          self.plugin().check_snapshot_complete,
                          {'image_id': 'image-1'})

    def test_timeout(self):
        self.http.get(IMAGE, **image('saving'))
        plugin = self.plugin()
        self.assertRaises(
            exception.OperationTimeout, self.poll,
            lambda: plugin.check_snapshot_complete({'image_id': 'image-1'}),
            seconds=0.05)

    def test_restore_sets_image(self):
        definition = {'type': 'OS::Nova::Server',
                      'properties': {'image': 'cirros', 'flavor': 'm1'}}
        self.assertEqual(
            {'type': 'OS::Nova::Server',
             'properties': {'image': 'image-1', 'flavor': 'm1'}},
            self.plugin().handle_restore(definition,
                                         {'image_id': 'image-1'}))

    def test_delete(self):
        self.http.delete(IMAGE, status_code=204)
        self.http.get(IMAGE, [image('active'), NOT_FOUND])
        plugin = self.plugin()
        data = {'image_id': 'image-1'}
        plugin.handle_delete_snapshot(data)
        self.assertTrue(plugin.check_delete_snapshot_complete(data))
        self.assertEqual(1, len(self.requests('DELETE', '/images/image-1')))

    def test_delete_of_missing_image_is_fine(self):
        self.http.delete(IMAGE, **NOT_FOUND)
        self.http.get(IMAGE, **NOT_FOUND)
        plugin = self.plugin()
        data = {'image_id': 'image-1'}
        plugin.handle_delete_snapshot(data)
        self.assertTrue(plugin.check_delete_snapshot_complete(data))


class ImageDeleteProofTest(fakes.CloudTestCase):
    """Only Glance's own 404, in the image's project, means "gone"."""

    data = {'image_id': 'image-1'}

    def plugin(self, ctx=None):
        resource = server_resource()
        return nova.NovaServerPlugin(ctx or self.ctx,
                                     fakes.stack([resource]), resource,
                                     fakes.SNAPSHOT_ID)

    def test_html_404_from_a_proxy_fails_the_delete(self):
        self.http.delete(IMAGE, **fakes.PROXY_NOT_FOUND)
        self.http.get(IMAGE, **fakes.PROXY_NOT_FOUND)
        plugin = self.plugin()
        error = self.assertRaises(exception.ResourceFailure,
                                  plugin.handle_delete_snapshot, self.data)
        self.assertIn('Glance answered "not found" for image image-1',
                      error.message)
        self.assertRaises(exception.ResourceFailure,
                          plugin.check_delete_snapshot_complete, self.data)

    def test_cinder_shaped_404_is_not_glance_s(self):
        self.http.get(IMAGE, **fakes.CINDER_NOT_FOUND)
        self.assertRaises(exception.ResourceFailure,
                          self.plugin().handle_delete_snapshot, self.data)

    def test_404_seen_from_another_project_fails_the_delete(self):
        self.http.delete(IMAGE, **NOT_FOUND)
        self.http.get(IMAGE, **NOT_FOUND)
        plugin = self.plugin(self.make_context(project_id='project-b',
                                               auth_token='admin-token'))
        error = self.assertRaises(exception.ResourceFailure,
                                  plugin.handle_delete_snapshot, self.data)
        self.assertIn('project-b', error.message)
        self.assertRaises(exception.ResourceFailure,
                          plugin.check_delete_snapshot_complete, self.data)

    def test_resumed_delete_with_the_service_user_in_the_project(self):
        self.use_service_user()
        self.http.get(IMAGE, **image('active'))
        self.http.delete(IMAGE, **NOT_FOUND)
        plugin = self.plugin(context.service_context(fakes.PROJECT))
        plugin.handle_delete_snapshot(self.data)
        self.assertEqual([{'project': {'id': fakes.PROJECT}}],
                         self.token_scopes())

    def test_timeout_is_a_clear_error(self):
        for exc in (requests.exceptions.ConnectTimeout,
                    requests.exceptions.ReadTimeout):
            self.http.delete(IMAGE, exc=exc)
            self.http.get(IMAGE, exc=exc)
            self.http.post(SERVER + '/action', exc=exc)
            plugin = self.plugin()
            for call in (plugin.handle_snapshot,
                         lambda: plugin.handle_delete_snapshot(self.data)):
                error = self.assertRaises(clients.CloudTimeout, call)
                self.assertIn('did not answer within 60 seconds',
                              error.message)

    def test_requests_carry_the_configured_timeout(self):
        self.flags(group='heat_snapshots_clients', timeout=9)
        self.http.get(IMAGE, **image('active'))
        self.http.delete(IMAGE, status_code=204)
        self.plugin().handle_delete_snapshot(self.data)
        self.assertEqual({9}, {r.timeout for r in self.http.request_history})
