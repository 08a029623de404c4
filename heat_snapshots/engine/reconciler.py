"""Removes artifacts that no snapshot references any more.

A snapshot records each artifact the moment a plugin makes it, so this only
finds what slipped through: an engine killed between making an artifact and
writing its id, or a delete that failed half way and whose snapshot was
then removed with its stack.
"""

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.resources import registry

LOG = logging.getLogger(__name__)


def reconcile(context):
    """Delete every listed artifact whose snapshot is gone.

    :returns: the number of artifacts deleted.
    """
    deleted = 0
    seen = set()
    for plugin in registry.plugins().values():
        if plugin in seen:
            continue
        seen.add(plugin)
        artifacts = plugin.list_artifacts(context)
        if not artifacts:
            continue
        known = {}
        for artifact_id, snapshot_id in artifacts:
            if snapshot_id not in known:
                try:
                    db_api.snapshot_get(context, snapshot_id)
                    known[snapshot_id] = True
                except exception.SnapshotIdNotFound:
                    known[snapshot_id] = False
            if known[snapshot_id]:
                continue
            LOG.warning('Deleting artifact %s of snapshot %s, which no '
                        'longer exists', artifact_id, snapshot_id)
            try:
                plugin.delete_artifact(context, artifact_id)
                deleted += 1
            except Exception:
                LOG.exception('Could not delete orphaned artifact %s',
                              artifact_id)
    return deleted
