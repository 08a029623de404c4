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

Nova's createImage makes a Glance image named by cloud.artifact_name,
recorded in the artifact ledger first, whose properties are the ownership
markers of cloud.markers. Nova copies an image's custom properties into
later images of a server built from it, unless the operator lists them in
its ``non_inheritable_image_properties``: so an image is ours only when
its owner is the snapshot's project too, and its name and markers match
the ledger exactly. The snapshot is complete once the image is
active and the server has no task left (``OS-EXT-STS:task_state``). A
restore makes Heat rebuild the server from the image, as Heat's own server
restore does.
"""

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.common import sdk
from heat_snapshots.engine.resources import cloud

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = 'OS::Nova::Server'

ACTIVE = 'active'
FAILED_STATUSES = ('killed', 'deleted', 'error')


def is_not_found_fault(body):
    """Glance's own 404 (webob's JSON error).

    ``{"code": "404 Not Found", "title": "Not Found", "message": ...}``
    """
    return (isinstance(body, dict) and
            str(body.get('code', '')).startswith('404') and
            body.get('title') == 'Not Found')


class NovaServerPlugin(cloud.CloudResourcePlugin):
    """An image of the server per snapshot."""

    resource_type = RESOURCE_TYPE
    artifact_kind = 'images'
    artifact_noun = 'image'
    service_name = 'Nova/Glance'
    artifact_service = 'Glance'
    data_key = 'image_id'
    owner_required = True
    is_own_not_found = staticmethod(is_not_found_fault)

    @classmethod
    def _get(cls, conn, artifact_id):
        return conn.image.get_image(artifact_id)

    @classmethod
    def _find_by_name(cls, conn, name, project_id):
        # Only the project's own images, not those shared with it.
        return conn.image.images(name=name, owner=project_id)

    @classmethod
    def _describe(cls, found):
        properties = found.properties or {}
        return cloud.Artifact(
            found.id, found.name or '',
            {key: properties.get(key) for key in
             (cloud.SNAPSHOT_ID_KEY, cloud.INSTALLATION_ID_KEY)},
            found.owner)

    @classmethod
    def _delete(cls, conn, artifact_id):
        conn.image.delete_image(artifact_id, ignore_missing=False)

    @staticmethod
    def _delete_done(found):
        return (found.status or '').lower() == 'deleted'

    @cloud.cloud_call
    def handle_snapshot(self):
        server_id = self.resource.physical_resource_id
        if not server_id:
            return {}
        entry = self._record_intent()
        server = sdk.server.Server(id=server_id)
        image_id = server.create_image(self.connection.compute, entry.name,
                                       cloud.markers(entry))
        self._recorded(entry, image_id)
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
        except sdk.exceptions.NotFoundException:
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
