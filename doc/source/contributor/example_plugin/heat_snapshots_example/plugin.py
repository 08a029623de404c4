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

"""Snapshots of ``Example::Store::Object``, an imaginary stored object.

The resource type has one property, ``content``; its physical resource is
an object in some store. A snapshot is a copy of the content kept by the
store under a backup id; restoring puts the copy back by rewriting the
resource's definition before heat-snapshots updates the stack to it.

A real plugin would call its service's API in each method; this one keeps
its "backups" in a dictionary so that it runs anywhere.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from heat_snapshots.engine.resources import base

LOG = logging.getLogger(__name__)

# Stands in for the store's backup API: {backup id: content}.
BACKUPS = {}


class ObjectPlugin(base.ResourcePlugin):
    """How to snapshot, restore and forget an Example::Store::Object."""

    def handle_snapshot(self):
        """Start the backup; return what the engine must keep.

        The engine writes the returned dictionary to its database at once,
        before it calls check_snapshot_complete, so a backup is never
        unknown even if the engine dies now.
        """
        backup_id = uuidutils.generate_uuid()
        BACKUPS[backup_id] = self.resource.properties.get('content')
        LOG.info('Backed up object %s as %s',
                 self.resource.physical_resource_id, backup_id)
        return {'backup_id': backup_id}

    def check_snapshot_complete(self, data):
        """Polled with backoff until True; raise to fail the snapshot."""
        return data['backup_id'] in BACKUPS

    def handle_restore(self, definition, data):
        """The resource's definition, rewritten to bring the copy back."""
        properties = dict(definition.get('properties') or {})
        properties['content'] = BACKUPS[data['backup_id']]
        return dict(definition, properties=properties)

    def handle_delete_snapshot(self, data):
        """Remove the backup; one already gone is not an error."""
        BACKUPS.pop((data or {}).get('backup_id'), None)

    def check_delete_snapshot_complete(self, data):
        return (data or {}).get('backup_id') not in BACKUPS
