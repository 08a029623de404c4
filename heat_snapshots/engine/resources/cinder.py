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
can be backed up, named by cloud.artifact_name and recorded in the
artifact ledger first; its metadata (API microversion 3.43) carries the
ownership markers of cloud.markers. Without 3.43 a backup has no metadata
and so can never be proven ours: the reconciler and a snapshot delete
leave it alone. A restore makes Heat create the volume again from the
backup (``backup_id``), as Heat's own volume restore does.
"""

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.common import sdk
from heat_snapshots.engine.resources import cloud

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = 'OS::Cinder::Volume'
METADATA_MICROVERSION = '3.43'

AVAILABLE = 'available'
ERROR = 'error'
DELETE_ERROR = 'error_deleting'


def is_not_found_fault(body):
    """Cinder's own 404: ``{"itemNotFound": {"code": 404, ...}}``."""
    fault = body.get('itemNotFound') if isinstance(body, dict) else None
    return isinstance(fault, dict) and fault.get('code') == 404


class CinderVolumePlugin(cloud.CloudResourcePlugin):
    """A volume backup per snapshot."""

    resource_type = RESOURCE_TYPE
    artifact_kind = 'backups'
    artifact_noun = 'backup'
    service_name = 'Cinder'
    data_key = 'backup_id'
    is_own_not_found = staticmethod(is_not_found_fault)

    @classmethod
    def _get(cls, conn, artifact_id):
        return conn.block_storage.get_backup(artifact_id)

    @classmethod
    def _find_by_name(cls, conn, name, project_id):
        # The project's own backups: never all_tenants.
        return conn.block_storage.backups(details=True, name=name)

    @classmethod
    def _describe(cls, found):
        # The owner only when Cinder tells it (to admins); the lookups
        # run scoped to the entry's project either way.
        return cloud.Artifact(found.id, found.name or '',
                              dict(found.metadata or {}),
                              found.project_id or None)

    @classmethod
    def _delete(cls, conn, artifact_id):
        conn.block_storage.delete_backup(artifact_id, ignore_missing=False)

    @staticmethod
    def _delete_done(found):
        if found.status == DELETE_ERROR:
            raise exception.ResourceFailure(
                reason='Backup %s could not be deleted: %s' % (
                    found.id, found.fail_reason or 'unknown error'))
        return False

    @property
    def _cinder(self):
        return self.connection.block_storage

    @cloud.cloud_call
    def handle_snapshot(self):
        volume_id = self.resource.physical_resource_id
        if not volume_id:
            # A volume that was never made has nothing to back up.
            return {}
        entry = self._record_intent()
        description = 'heat-snapshots snapshot %s of stack %s' % (
            self.snapshot_id, getattr(self.stack, 'id', None))
        attrs = {'volume_id': volume_id, 'name': entry.name,
                 'description': description, 'force': True}
        if sdk.utils.supports_microversion(self._cinder,
                                           METADATA_MICROVERSION):
            attrs['metadata'] = cloud.markers(entry)
        else:
            LOG.warning('Cinder is older than API microversion %s: backup '
                        '%s carries no ownership markers and will never be '
                        'deleted by heat-snapshots', METADATA_MICROVERSION,
                        entry.name)
        backup = self._cinder.create_backup(**attrs)
        self._recorded(entry, backup.id)
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
        except sdk.exceptions.NotFoundException:
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
