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

"""OS::Nova::Server: the snapshot is an image of the server.

Nova's createImage makes a Glance image named
``heat-snapshots-<snapshot id>-<resource name>`` with the metadata
``heat_snapshots_snapshot_id``. The snapshot is complete once the image is
active and the server has no task left (``OS-EXT-STS:task_state``). A
restore makes Heat rebuild the server from the image, as Heat's own server
restore does.
"""

from openstack.compute.v2 import server as sdk_server
from openstack import exceptions as sdk_exc
from oslo_log import log as logging

from heat_snapshots.common import clients
from heat_snapshots.common import exception
from heat_snapshots.engine.resources import base
from heat_snapshots.engine.resources import cloud

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = 'OS::Nova::Server'
NAME_PREFIX = 'heat-snapshots-'
METADATA_KEY = 'heat_snapshots_snapshot_id'

ACTIVE = 'active'
FAILED_STATUSES = ('killed', 'deleted', 'error')


def image_name(snapshot_id, resource_name):
    return '%s%s-%s' % (NAME_PREFIX, snapshot_id, resource_name)


def is_not_found_fault(body):
    """Glance's own 404 (webob's JSON error).

    ``{"code": "404 Not Found", "title": "Not Found", "message": ...}``
    """
    return (isinstance(body, dict) and
            str(body.get('code', '')).startswith('404') and
            body.get('title') == 'Not Found')


def list_artifacts(context, conf=base.CONF, connection=None):
    """Our images: in the context's project, or all an admin sees (the
    service user in its own project, for a context with no project).

    :returns: dicts with ``id``, ``name``, ``status``, ``snapshot_id``
        and the owning ``project_id``.
    """
    project_id = getattr(context, 'project_id', None)
    query = {}
    if project_id:
        conn = connection or clients.connection(context, conf)
        query['owner'] = project_id
    else:
        conn = connection or clients.all_projects_connection(conf, context)
    artifacts = []
    for image in conn.image.images(**query):
        name = image.name or ''
        snapshot_id = (image.properties or {}).get(METADATA_KEY)
        if snapshot_id is None and not name.startswith(NAME_PREFIX):
            continue
        if snapshot_id is None:
            snapshot_id = name[len(NAME_PREFIX):len(NAME_PREFIX) + 36]
        artifacts.append({'id': image.id, 'name': name,
                          'status': image.status,
                          'snapshot_id': snapshot_id,
                          'project_id': image.owner or project_id})
    return artifacts


class NovaServerPlugin(cloud.CloudResourcePlugin):
    """An image of the server per snapshot."""

    artifact_kind = 'images'
    service_name = 'Nova/Glance'
    artifact_service = 'Glance'
    is_own_not_found = staticmethod(is_not_found_fault)

    @classmethod
    def _list_artifacts(cls, context):
        return list_artifacts(context)

    @classmethod
    def _delete_artifact(cls, connection, artifact_id, owner_project_id):
        try:
            connection.image.delete_image(artifact_id, ignore_missing=False)
        except sdk_exc.NotFoundException as error:
            cls.confirm_gone(connection, error, owner_project_id,
                             'image %s' % artifact_id)

    @cloud.cloud_call
    def handle_snapshot(self):
        server_id = self.resource.physical_resource_id
        if not server_id:
            return {}
        server = sdk_server.Server(id=server_id)
        image_id = server.create_image(
            self.connection.compute,
            image_name(self.snapshot_id, self.resource.name),
            {METADATA_KEY: self.snapshot_id})
        LOG.info('Image %s of server %s started for snapshot %s',
                 image_id, server_id, self.snapshot_id)
        return {'image_id': image_id}

    @cloud.cloud_call
    def check_snapshot_complete(self, data):
        image_id = (data or {}).get('image_id')
        if not image_id:
            return True
        try:
            image = self.connection.image.get_image(image_id)
        except sdk_exc.NotFoundException:
            raise exception.ResourceFailure(
                reason='Image %s of server %s disappeared' % (
                    image_id, self.resource.physical_resource_id))
        status = (image.status or '').lower()
        if status in FAILED_STATUSES:
            raise exception.ResourceFailure(
                reason='Image %s of server %s is %s' % (
                    image_id, self.resource.physical_resource_id, status))
        if status != ACTIVE:
            return False
        server = self.connection.compute.get_server(
            self.resource.physical_resource_id)
        if (server.status or '').upper() == 'ERROR':
            raise exception.ResourceFailure(
                reason='Server %s went to ERROR while its image %s was '
                       'made' % (server.id, image_id))
        return server.task_state is None

    def handle_restore(self, definition, data):
        image_id = (data or {}).get('image_id')
        if image_id:
            properties = definition.get('properties')
            if not isinstance(properties, dict):
                properties = {}
            properties['image'] = image_id
            definition['properties'] = properties
        return definition

    @cloud.cloud_call
    def handle_delete_snapshot(self, data):
        image_id = (data or {}).get('image_id')
        if not image_id:
            return
        try:
            self.connection.image.delete_image(image_id,
                                               ignore_missing=False)
        except sdk_exc.NotFoundException as error:
            self._confirm_gone(error, 'image %s' % image_id)

    @cloud.cloud_call
    def check_delete_snapshot_complete(self, data):
        image_id = (data or {}).get('image_id')
        if not image_id:
            return True
        try:
            image = self.connection.image.get_image(image_id)
        except sdk_exc.NotFoundException as error:
            self._confirm_gone(error, 'image %s' % image_id)
            return True
        return (image.status or '').lower() == 'deleted'
