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

"""Cinder, Nova and Glance at the HTTP level (requests-mock)."""

import datetime
import re
import urllib.parse

from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import loading as ks_loading
from oslo_utils import uuidutils
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.common import context
from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.engine.resources import cinder
from heat_snapshots.engine.resources import cloud
from heat_snapshots.engine.resources import nova
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.tests import base

PROJECT = 'project-a'
CINDER = 'http://cinder.test/v3'
NOVA = 'http://nova.test/v2.1'
GLANCE = 'http://glance.test'
KEYSTONE = 'http://keystone.test/v3'
SERVICE_PROJECT = 'service-project-id'
STACK_ID = '7a2c7e3c-5b65-4a1e-9a3a-2d8c4c1d0e11'
SNAPSHOT_ID = '0b5d4c1e-6f1f-4f5b-8c0e-0a4bb6c3e2f1'


# "Not found" as each service answers it (Content-Type: application/json):
# Cinder's fault body, and Glance's (webob's JSON error).
CINDER_NOT_FOUND = {
    'status_code': 404,
    'headers': {'Content-Type': 'application/json'},
    'json': {'itemNotFound': {
        'code': 404, 'message': 'Backup backup-1 could not be found.'}}}
GLANCE_NOT_FOUND = {
    'status_code': 404,
    'headers': {'Content-Type': 'application/json'},
    'json': {'code': '404 Not Found', 'title': 'Not Found',
             'message': 'No image found with ID image-1<br /><br />\n\n\n'}}
# What a proxy or load balancer in front of the service answers for a
# path it has no backend for: no proof that anything is gone.
PROXY_NOT_FOUND = {
    'status_code': 404,
    'headers': {'Content-Type': 'text/html'},
    'text': '<html>\r\n<head><title>404 Not Found</title></head>\r\n'
            '<body>\r\n<center><h1>404 Not Found</h1></center>\r\n'
            '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n'}


def version(url, current, minimum):
    return {'id': 'v%s' % current.split('.')[0] + '.0',
            'status': 'CURRENT', 'version': current,
            'min_version': minimum, 'updated': '2024-01-01T00:00:00Z',
            'links': [{'rel': 'self', 'href': url + '/'}]}


def stack(resources=()):
    return stacks_base.Stack(id=STACK_ID, name='stack', project_id=PROJECT,
                             action='CREATE', status='COMPLETE',
                             resources=list(resources))


class FakeDriver(stacks_base.StackDriver):
    """Hands out one stack; records restores."""

    def __init__(self, conf, the_stack):
        super().__init__(conf)
        self.stack = the_stack
        self.restored = []

    def find_stack(self, context, stack_name_or_id):
        return self.stack

    def get_stack(self, context, stack_id, with_resources=True,
                  show_deleted=False):
        return self.stack

    def set_stack_state(self, context, stack_id, action, status, reason):
        pass

    def restore(self, context, stack, template, environment, files,
                resource_data):
        self.restored.append((template, environment, files, resource_data))


class CloudTestCase(base.TestCase):
    """Endpoint overrides to the fake services; a caller with a token."""

    # The plugins record their artifacts in the ledger.
    use_db = True
    cinder_version = '3.70'
    nova_version = '2.96'

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.flags(group='heat_snapshots_clients',
                   block_storage_endpoint_override=CINDER +
                   '/%(project_id)s',
                   compute_endpoint_override=NOVA,
                   image_endpoint_override=GLANCE)
        self.ctx = self.make_context(auth_token='caller-token')
        for url in (CINDER, CINDER + '/'):
            self.http.get(url, json={'version': version(
                CINDER, self.cinder_version, '3.0')})
        self.http.get(NOVA, json={'version': version(
            NOVA, self.nova_version, '2.1')})
        self.http.get(NOVA + '/', json={'version': version(
            NOVA, self.nova_version, '2.1')})
        glance_versions = {'versions': [
            dict(version(GLANCE + '/v2', '2.16', ''), id='v2.16')]}
        self.http.get(GLANCE, json=glance_versions)
        self.http.get(GLANCE + '/', json=glance_versions)

    def requests(self, method, url_part):
        return [r for r in self.http.request_history
                if r.method == method and url_part in r.url]

    def use_service_user(self):
        """No caller token: the service user, whose token Keystone scopes
        as asked (its own project 'service' when no project is asked).
        """
        group = 'heat_snapshots_service_auth'
        self.conf_fixture.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group=group)
        self.flags(group=group, auth_type='password', auth_url=KEYSTONE,
                   username='heat-snapshots', password='secret',
                   user_domain_id='default', project_name='service',
                   project_domain_id='default')
        self.http.get(KEYSTONE, json={
            'version': ks_fixture.V3Discovery(KEYSTONE)})

        def token(request, context):
            project = request.json()['auth']['scope']['project']
            context.headers['X-Subject-Token'] = 'token-of-%s' % (
                project.get('id') or SERVICE_PROJECT)
            return ks_fixture.V3Token(
                project_id=project.get('id') or SERVICE_PROJECT,
                project_name=project.get('name'))

        self.http.post(KEYSTONE + '/auth/tokens', json=token)

    def token_scopes(self):
        return [r.json()['auth']['scope'] for r in self.http.request_history
                if r.method == 'POST' and r.url.endswith('/auth/tokens')]


def _query(request):
    # request.qs lowers the case of values.
    return urllib.parse.parse_qs(urllib.parse.urlparse(request.url).query)


class FakeCinder:
    """Cinder's backup API with state, per project as a user sees it.

    ``/v3/<project>/backups...``: a project sees and deletes its own
    backups only, as a non-admin does; ``all_tenants`` is refused so a
    test notices a listing across projects.
    """

    _ID = r'/(?P<project>[^/]+)/backups'

    def __init__(self, http):
        self.backups = {}
        self.deleted = []
        http.post(re.compile(re.escape(CINDER) + self._ID + '$'),
                  json=self._create, status_code=202)
        http.get(re.compile(re.escape(CINDER) + self._ID + r'/[^/?]+$'),
                 json=self._get)
        http.delete(re.compile(re.escape(CINDER) + self._ID + r'/[^/?]+$'),
                    json=self._delete)
        http.get(re.compile(re.escape(CINDER) + self._ID + r'/detail'),
                 json=self._list)

    def add(self, project, name, metadata=None, status='available'):
        backup_id = uuidutils.generate_uuid()
        self.backups[backup_id] = {
            'id': backup_id, 'name': name, 'status': status,
            'metadata': dict(metadata or {}), 'volume_id': 'vol-1',
            'project': project}
        return backup_id

    @staticmethod
    def _project(request):
        return request.path.split('/')[2]

    def _shown(self, backup):
        return {k: v for k, v in backup.items() if k != 'project'}

    def _not_found(self, context):
        context.status_code = 404
        context.headers['Content-Type'] = 'application/json'
        return CINDER_NOT_FOUND['json']

    def _create(self, request, context):
        body = request.json()['backup']
        backup_id = self.add(self._project(request), body['name'],
                             body.get('metadata'))
        return {'backup': {'id': backup_id, 'name': body['name']}}

    def _find(self, request):
        backup = self.backups.get(request.path.rsplit('/', 1)[1])
        if backup is None or backup['project'] != self._project(request):
            return None
        return backup

    def _get(self, request, context):
        backup = self._find(request)
        if backup is None:
            return self._not_found(context)
        return {'backup': self._shown(backup)}

    def _delete(self, request, context):
        backup = self._find(request)
        if backup is None:
            return self._not_found(context)
        del self.backups[backup['id']]
        self.deleted.append(backup['id'])
        context.status_code = 202
        return {}

    def _list(self, request, context):
        query = _query(request)
        if 'all_tenants' in query:
            context.status_code = 400
            return {'badRequest': {'code': 400,
                                   'message': 'all_tenants refused'}}
        names = query.get('name')
        return {'backups': [
            self._shown(b) for b in self.backups.values()
            if b['project'] == self._project(request) and
            (names is None or b['name'] in names)]}


class FakeGlance:
    """Glance's image API with state; Nova's createImage adds to it.

    An image is shown by id to anyone (as to an admin, or a shared or
    public image); deleting needs its owner's project (``owner_of``
    tells the project a request acts in).
    """

    def __init__(self, http, owner_of=lambda request: PROJECT):
        self.images = {}
        self.deleted = []
        self.owner_of = owner_of
        image = re.compile(re.escape(GLANCE) + r'/v2/images/[^/?]+$')
        http.get(image, json=self._get)
        http.delete(image, json=self._delete)
        http.get(re.compile(re.escape(GLANCE) + r'/v2/images(\?.*)?$'),
                 json=self._list)
        http.post(re.compile(re.escape(NOVA) + r'/servers/[^/]+/action$'),
                  json=self._create_image, status_code=202)

    def add(self, owner, name, properties=None, status='active'):
        image_id = uuidutils.generate_uuid()
        self.images[image_id] = dict(
            properties or {}, id=image_id, name=name, status=status,
            owner=owner, visibility='private')
        return image_id

    def _not_found(self, context):
        context.status_code = 404
        context.headers['Content-Type'] = 'application/json'
        return GLANCE_NOT_FOUND['json']

    def _create_image(self, request, context):
        body = request.json()['createImage']
        return {'image_id': self.add(self.owner_of(request), body['name'],
                                     body.get('metadata'))}

    def _get(self, request, context):
        image = self.images.get(request.path.rsplit('/', 1)[1])
        if image is None:
            return self._not_found(context)
        return dict(image)

    def _delete(self, request, context):
        image = self.images.get(request.path.rsplit('/', 1)[1])
        if image is None or image['owner'] != self.owner_of(request):
            return self._not_found(context)
        del self.images[image['id']]
        self.deleted.append(image['id'])
        context.status_code = 204
        return None

    def _list(self, request, context):
        query = _query(request)
        return {'images': [
            dict(i) for i in self.images.values()
            if ('name' not in query or i['name'] in query['name']) and
            ('owner' not in query or i['owner'] in query['owner'])]}


def _token_project(request):
    # The project of a token of use_service_user.
    token = request.headers.get('X-Auth-Token', '')
    if token.startswith('token-of-'):
        return token[len('token-of-'):]
    return PROJECT


class LedgerTestCase(CloudTestCase):
    """Cinder and Glance (with Nova's createImage) with state, and the
    artifacts the reconciler's and the audit's tests start from: ours,
    made through the plugins, and foreign ones that look like ours.
    """

    def setUp(self):
        super().setUp()
        self.cinder = FakeCinder(self.http)
        self.glance = FakeGlance(self.http, owner_of=_token_project)
        self.flags(group='heat_snapshots', reconcile_min_age=3600)
        self.admin = context.get_admin_context()
        self.installation = db_api.installation_id(self.ctx)

    def snapshot(self, **values):
        return db_api.snapshot_create(self.ctx, dict(dict(
            name='snap', stack_id=STACK_ID, stack_name='stack',
            project_id=PROJECT, action='CREATE',
            status='COMPLETE', data={}), **values))

    def make(self, snapshot_id, resource):
        plugins = {'OS::Cinder::Volume': cinder.CinderVolumePlugin,
                   'OS::Nova::Server': nova.NovaServerPlugin}
        plugin = plugins[resource.type](
            self.ctx, stack([resource]), resource, snapshot_id)
        data = plugin.handle_snapshot()
        return list(data.values())[0]

    def age_all(self, seconds=7200):
        table = models.LedgerEntry.__table__
        with db_api.get_engine().begin() as connection:
            connection.execute(table.update().values(
                created_at=db_api.db_utcnow(self.ctx) -
                datetime.timedelta(seconds=seconds)))

    def our_orphans(self):
        """A backup and an image of a snapshot that is gone since."""
        snapshot = self.snapshot()
        backup_id = self.make(snapshot.id, stacks_base.Resource(
            name='group/0/vol', type='OS::Cinder::Volume',
            physical_resource_id='vol-1'))
        image_id = self.make(snapshot.id, stacks_base.Resource(
            name='server', type='OS::Nova::Server',
            physical_resource_id='server-1'))
        db_api.snapshot_delete(self.ctx, snapshot.id)
        return snapshot.id, backup_id, image_id

    def foreign(self, gone_snapshot_id):
        """Artifacts that look like ours and are not."""
        ours = {cloud.SNAPSHOT_ID_KEY: gone_snapshot_id,
                cloud.INSTALLATION_ID_KEY: self.installation}
        foreign = [
            # A project's own backups that happen to use our prefix.
            self.cinder.add('project-b', 'heat-snapshots-weekly-db'),
            self.cinder.add(PROJECT, 'heat-snapshots-weekly-db'),
            # A user's image of a server rebuilt from our image: Nova
            # copied our properties into it.
            self.glance.add(PROJECT, 'my-server-backup', ours),
        ]
        # An image with our properties (and a ledger entry naming it) but
        # another owner.
        entry = db_api.ledger_create(self.ctx, {
            'plugin': 'OS::Nova::Server', 'project_id': PROJECT,
            'name': 'heat-snapshots-shared', 'snapshot_id': gone_snapshot_id,
            'resource_name': 'server', 'installation_id': self.installation})
        image_id = self.glance.add('project-b', entry.name, ours)
        db_api.ledger_set_artifact_id(self.ctx, entry.id, image_id)
        foreign.append(image_id)
        # A second installation's artifacts in our project, one under a
        # name our ledger records too.
        other = {cloud.SNAPSHOT_ID_KEY: gone_snapshot_id,
                 cloud.INSTALLATION_ID_KEY: uuidutils.generate_uuid()}
        entry = db_api.ledger_create(self.ctx, {
            'plugin': 'OS::Cinder::Volume', 'project_id': PROJECT,
            'name': 'heat-snapshots-staging-vol',
            'snapshot_id': gone_snapshot_id, 'resource_name': 'vol',
            'installation_id': self.installation})
        foreign.append(self.cinder.add(PROJECT, entry.name, other))
        foreign.append(self.cinder.add(
            PROJECT, 'heat-snapshots-%s-vol-%s' % (
                gone_snapshot_id, uuidutils.generate_uuid()), other))
        foreign.append(self.glance.add(PROJECT, 'heat-snapshots-x',
                                       other))
        return foreign

    def deleted(self):
        return self.cinder.deleted + self.glance.deleted
