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

"""Removes artifacts that no snapshot references any more.

A snapshot records each artifact the moment a plugin makes it, so this only
finds what slipped through: an engine killed between making an artifact and
writing its id, or a delete that failed half way and whose snapshot was
then removed with its stack.

Cloud plugins list every project's artifacts with their owner; each orphan
is deleted in its own project (the service user scoped to it, through
common.context.service_context), never project-less. An orphan whose owner
the service does not tell is left alone.
"""

from oslo_log import log as logging

from heat_snapshots.common import context as hs_context
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
        for entry in artifacts:
            # (artifact id, snapshot id) or, for the artifacts of a cloud
            # service, (artifact id, snapshot id, owning project id).
            artifact_id, snapshot_id = entry[0], entry[1]
            if snapshot_id not in known:
                try:
                    db_api.snapshot_get(context, snapshot_id)
                    known[snapshot_id] = True
                except exception.SnapshotIdNotFound:
                    known[snapshot_id] = False
            if known[snapshot_id]:
                continue
            delete_context = context
            if len(entry) > 2:
                if not entry[2]:
                    LOG.warning('Artifact %s of snapshot %s, which no '
                                'longer exists, is left alone: its '
                                'project is not known', artifact_id,
                                snapshot_id)
                    continue
                delete_context = hs_context.service_context(
                    entry[2], request_id=getattr(context, 'request_id',
                                                 None))
            LOG.warning('Deleting artifact %s of snapshot %s, which no '
                        'longer exists', artifact_id, snapshot_id)
            try:
                plugin.delete_artifact(delete_context, artifact_id)
                deleted += 1
            except Exception:
                LOG.exception('Could not delete orphaned artifact %s',
                              artifact_id)
    return deleted
