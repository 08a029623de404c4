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

"""The resource plugin interface.

A plugin tells the engine how to snapshot, restore and forget the snapshot
of one resource type. The engine calls, for one resource of one snapshot:

* ``handle_snapshot()``: start the snapshot; returns the resource's data to
  keep (for example ``{"backup_id": ...}``). The engine writes it to the
  database before anything else happens, so nothing made is ever unknown.
* ``record_snapshot(context, data)`` (optional): for a type whose
  artifact is a row of heat-snapshots' own database, write it in the
  transaction that records ``data`` (one commit where there were two);
  returns the data to keep. ``record_snapshots(context, recorded)`` (a
  classmethod, optional) makes the same writes for many resources of the
  type at once, when the walk records them together.
* ``check_snapshot_complete(data)``: polled with backoff until True; raise
  ResourceFailure to fail the snapshot.
* ``handle_restore(definition, data)``: return the resource's definition
  (``{"type", "properties", ...}`` as in the template) rewritten so that the
  stack update brings back the snapshotted state.
* ``handle_snapshot_cancel(data)`` (optional): the snapshot was cancelled
  while this resource's was still being made; abandon it if possible and
  return True once nothing of it is left, or False (the default) to let
  it finish (its artifact is then kept and deleted with the snapshot).
* ``handle_delete_snapshot(data)`` and ``check_delete_snapshot_complete``:
  remove what the snapshot made. Something already gone is not an error.

Types whose artifacts live in heat-snapshots' own database also offer
``list_artifacts`` and ``delete_artifact``, so that the engine's reconciler
removes artifacts whose snapshot no longer exists (made by an engine killed
before it could record them, or left by a failed delete). Artifacts in the
cloud are found through the artifact ledger instead (engine/resources/
cloud.py).
"""

from oslo_config import cfg

CONF = cfg.CONF


class ResourcePlugin:
    """Defaults: the snapshot is the resource's own data, nothing to undo."""

    #: Whether ``handle_snapshot()`` makes something outside heat-snapshots'
    #: rows (a backup, an image, an artifact row). Its id is then committed
    #: before the snapshot waits for it; a plugin that makes nothing is
    #: stepped without writes of its own before its end. A plugin that
    #: overrides ``handle_snapshot()`` makes an artifact unless it says
    #: otherwise.
    makes_artifact = False

    #: Whether ``handle_snapshot()`` only names the artifact and
    #: ``record_snapshot()`` makes it (a row of heat-snapshots' own
    #: database): the resource's start, its artifact and the record of
    #: its id are then one change, and a failing ``handle_snapshot()``
    #: has made nothing.
    artifact_made_in_record = False

    @classmethod
    def deletes_nothing(cls):
        """Whether the delete of a snapshot has nothing to remove for
        this plugin: it makes no artifact and keeps the default delete.
        """
        return (not cls.makes_artifact and
                cls.handle_delete_snapshot is
                ResourcePlugin.handle_delete_snapshot and
                cls.check_delete_snapshot_complete is
                ResourcePlugin.check_delete_snapshot_complete)

    @classmethod
    def snapshot_is_data(cls):
        """Whether the snapshot of a resource is its data and nothing
        more: the plugin makes no artifact and keeps the default snapshot
        steps, so nothing is waited for and nothing is left behind.
        """
        return (not cls.makes_artifact and
                cls.handle_snapshot is ResourcePlugin.handle_snapshot and
                cls.record_snapshot is ResourcePlugin.record_snapshot and
                cls.record_snapshots.__func__ is
                ResourcePlugin.record_snapshots.__func__ and
                cls.check_snapshot_complete is
                ResourcePlugin.check_snapshot_complete)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if 'handle_snapshot' in vars(cls) and \
                'makes_artifact' not in vars(cls):
            cls.makes_artifact = True

    def __init__(self, context, stack, resource, snapshot_id, conf=CONF):
        self.context = context
        self.stack = stack
        self.resource = resource
        self.snapshot_id = snapshot_id
        self.conf = conf

    def handle_snapshot(self):
        return dict(self.resource.data or {})

    def record_snapshot(self, context, data):
        """Writes that belong with the record of ``data``: run with
        ``context`` in the transaction that records it, before anything
        waits on the artifact, and run again when that transaction is.

        :returns: the data to record (the default: ``data``).
        """
        return data

    @classmethod
    def record_snapshots(cls, context, recorded):
        """``record_snapshot`` of each (plugin, data) of ``recorded``
        (plugins of this class recorded in one transaction), in order. A
        type whose writes can be made together (one statement for all)
        overrides it.

        :returns: the data to record of each.
        """
        return [plugin.record_snapshot(context, data)
                for plugin, data in recorded]

    def check_snapshot_complete(self, data):
        return True

    def snapshot_ready_in(self, data):
        """Seconds before which ``check_snapshot_complete`` cannot be
        true (a wait the plugin knows), so that the walk checks then and
        not before; None (the default): checked on the usual schedule.
        """
        return None

    def handle_snapshot_cancel(self, data):
        return False

    def artifact_id(self, data):
        """The id of what ``handle_snapshot`` made (its ``data_key``, or
        ``artifact_id``), shown in the snapshot's progress; or None.
        """
        key = getattr(self, 'data_key', None) or 'artifact_id'
        value = (data or {}).get(key) if isinstance(data, dict) else None
        return None if value is None else str(value)

    def handle_restore(self, definition, data):
        return definition

    def restore_source(self, data):
        """What ``handle_restore`` brings the resource back from, for
        people to read: {key: artifact id} (``{"backup_id": ...}``), or
        None when the resource is rebuilt from its definition alone.
        """
        return None

    def check_restore_source(self, data):
        """Raise ArtifactNotFound when what ``restore_source`` names is
        gone (checked before a clone is accepted); the default has
        nothing to check.
        """
        return None

    def handle_delete_snapshot(self, data):
        return None

    def check_delete_snapshot_complete(self, data):
        return True

    def delete_snapshot_ready_in(self, data):
        """As snapshot_ready_in, for check_delete_snapshot_complete."""
        return None

    @classmethod
    def list_artifacts(cls, context):
        """Artifacts of this type made by heat-snapshots.

        :returns: a list of (artifact id, snapshot id) pairs, or None
            when the type cannot list its artifacts.
        """
        return None

    @classmethod
    def delete_artifact(cls, context, artifact_id):
        """Delete one artifact found by list_artifacts; gone is fine."""
        raise NotImplementedError()
