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

"""OS::Cinder::Volume: the snapshot is a Cinder volume backup.

The backup is made with ``force`` so that a volume attached to a server
can be backed up, named ``heat-snapshots-<snapshot id>-<resource name>``
and tagged with the snapshot id (metadata from API microversion 3.43,
the description otherwise). A restore makes Heat create the volume again
from the backup (``backup_id``), as Heat's own volume restore does.
"""

from openstack import exceptions as sdk_exc
from openstack import utils as sdk_utils
from oslo_log import log as logging

from heat_snapshots.common import clients
from heat_snapshots.common import exception
from heat_snapshots.engine.resources import base
from heat_snapshots.engine.resources import cloud

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = 'OS::Cinder::Volume'
NAME_PREFIX = 'heat-snapshots-'
METADATA_KEY = 'heat_snapshots_snapshot_id'
METADATA_MICROVERSION = '3.43'

AVAILABLE = 'available'
ERROR = 'error'
DELETE_ERROR = 'error_deleting'


def backup_name(snapshot_id, resource_name):
    return '%s%s-%s' % (NAME_PREFIX, snapshot_id, resource_name)


def is_not_found_fault(body):
    """Cinder's own 404: ``{"itemNotFound": {"code": 404, ...}}``."""
    fault = body.get('itemNotFound') if isinstance(body, dict) else None
    return isinstance(fault, dict) and fault.get('code') == 404


def list_artifacts(context, conf=base.CONF, connection=None):
    """Our backups: those whose name starts with our prefix.

    In the context's project, or in every project for a context with no
    project (the engine's own, with the service user in its own project,
    which then needs to be an admin).

    :returns: dicts with ``id``, ``name``, ``status``, the
        ``snapshot_id`` the backup's metadata or name names and the
        owning ``project_id`` (None when Cinder does not tell it).
    """
    project_id = getattr(context, 'project_id', None)
    query = {}
    if project_id:
        conn = connection or clients.connection(context, conf)
    else:
        conn = connection or clients.all_projects_connection(conf, context)
        query['all_tenants'] = True
    artifacts = []
    for backup in conn.block_storage.backups(details=True, **query):
        name = backup.name or ''
        if not name.startswith(NAME_PREFIX):
            continue
        snapshot_id = (backup.metadata or {}).get(METADATA_KEY)
        if snapshot_id is None:
            # heat-snapshots-<36-char uuid>-<resource name>
            snapshot_id = name[len(NAME_PREFIX):len(NAME_PREFIX) + 36]
        artifacts.append({'id': backup.id, 'name': name,
                          'status': backup.status,
                          'snapshot_id': snapshot_id,
                          'project_id': backup.project_id or project_id})
    return artifacts


class CinderVolumePlugin(cloud.CloudResourcePlugin):
    """A volume backup per snapshot."""

    artifact_kind = 'backups'
    service_name = 'Cinder'
    is_own_not_found = staticmethod(is_not_found_fault)

    @classmethod
    def _list_artifacts(cls, context):
        return list_artifacts(context)

    @classmethod
    def _delete_artifact(cls, connection, artifact_id, owner_project_id):
        try:
            connection.block_storage.delete_backup(artifact_id,
                                                   ignore_missing=False)
        except sdk_exc.NotFoundException as error:
            cls.confirm_gone(connection, error, owner_project_id,
                             'backup %s' % artifact_id)

    @property
    def _cinder(self):
        return self.connection.block_storage

    @cloud.cloud_call
    def handle_snapshot(self):
        volume_id = self.resource.physical_resource_id
        if not volume_id:
            # A volume that was never made has nothing to back up.
            return {}
        name = backup_name(self.snapshot_id, self.resource.name)
        description = 'heat-snapshots snapshot %s of stack %s' % (
            self.snapshot_id, getattr(self.stack, 'id', None))
        attrs = {'volume_id': volume_id, 'name': name,
                 'description': description, 'force': True}
        if sdk_utils.supports_microversion(self._cinder,
                                           METADATA_MICROVERSION):
            attrs['metadata'] = {METADATA_KEY: self.snapshot_id}
        backup = self._cinder.create_backup(**attrs)
        LOG.info('Backup %s of volume %s started for snapshot %s',
                 backup.id, volume_id, self.snapshot_id)
        # Returned at once: the engine writes it before anything else.
        return {'backup_id': backup.id}

    @cloud.cloud_call
    def check_snapshot_complete(self, data):
        backup_id = (data or {}).get('backup_id')
        if not backup_id:
            return True
        try:
            backup = self._cinder.get_backup(backup_id)
        except sdk_exc.NotFoundException:
            raise exception.ResourceFailure(
                reason='Backup %s of volume %s disappeared' % (
                    backup_id, self.resource.physical_resource_id))
        if backup.status == AVAILABLE:
            return True
        if backup.status == ERROR:
            raise exception.ResourceFailure(
                reason='Backup %s of volume %s failed: %s' % (
                    backup_id, self.resource.physical_resource_id,
                    backup.fail_reason or 'unknown error'))
        return False

    def handle_restore(self, definition, data):
        backup_id = (data or {}).get('backup_id')
        if backup_id:
            properties = definition.get('properties')
            if not isinstance(properties, dict):
                properties = {}
            properties['backup_id'] = backup_id
            definition['properties'] = properties
        return definition

    @cloud.cloud_call
    def handle_delete_snapshot(self, data):
        backup_id = (data or {}).get('backup_id')
        if not backup_id:
            return
        try:
            self._cinder.delete_backup(backup_id, ignore_missing=False)
        except sdk_exc.NotFoundException as error:
            self._confirm_gone(error, 'backup %s' % backup_id)

    @cloud.cloud_call
    def check_delete_snapshot_complete(self, data):
        backup_id = (data or {}).get('backup_id')
        if not backup_id:
            return True
        try:
            backup = self._cinder.get_backup(backup_id)
        except sdk_exc.NotFoundException as error:
            self._confirm_gone(error, 'backup %s' % backup_id)
            return True
        if backup.status == DELETE_ERROR:
            raise exception.ResourceFailure(
                reason='Backup %s could not be deleted: %s' % (
                    backup_id, backup.fail_reason or 'unknown error'))
        return False
