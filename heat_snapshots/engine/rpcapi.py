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

"""Client side of the engine RPC API.

API version history:

* 1.0 - Initial version: stack lookup and CRUD for stack drivers that
  manage stacks, snapshot create, list, show, delete and restore.
* 1.1 - show_resource, list_events, get_environment, get_files,
  list_outputs, show_output (the rest of the ``openstack stack`` workflow).
* 1.2 - Stack CRUD (every stack method but identify_stack) moves to the
  endpoint of the stack driver that manages stacks (namespace
  ``stacks``, its own client); the manager still serves the moved
  methods for 1.1 callers (an API not yet upgraded) until 2.0.
* 1.3 - stack_deleted (cast): the heat-api filter saw Heat accept a stack
  DELETE; the engine deletes the stack's snapshots once Heat shows it
  deleted.
* 1.4 - restore_preview (what a restore would change and discard) and
  clone_snapshot (a new stack from a snapshot), heat-snapshots' own.
* 1.5 - show_snapshot_json, list_snapshots_json: show_snapshot and
  stack_list_snapshots as the JSON text the API sends, each snapshot's
  stored data passed through undecoded.
* 1.6 - heat-snapshots' extension: stack_list_snapshots takes paging,
  sorting and filters (``page``); list_snapshot_resources (per-resource
  progress of the snapshot's last operation); cancel_snapshot_operation.
* 1.7 - Snapshot policies: create/list/show/update/delete_snapshot_policy,
  run_snapshot_policy, list_policy_runs, preview_policy_prune; every
  snapshot of a project: list/show/delete_project_snapshot.
* 1.8 - clone_snapshot takes ``project_id``: the tenant of the
  project-wide ``/snapshots/{id}/clone`` (a snapshot kept after its
  stack, or any of the project's), checked as show_project_snapshot
  checks it.
* 1.9 - list_snapshots_packed, show_snapshot_packed: the text of
  list_snapshots_json and show_snapshot_json packed (zlib, base64) for the
  message bus (``rpc.pack_text``).
"""

import json

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging

from heat_snapshots.common import rpc

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

RPC_API_VERSION = '1.9'


class EngineAPI(rpc.Client):
    """Every call the API makes to the snapshot manager.

    Stack CRUD is the stack driver's own endpoint (its rpcapi module).
    """

    def __init__(self, timeout=None):
        target = messaging.Target(topic=CONF.heat_snapshots.topic,
                                  version=RPC_API_VERSION)
        super().__init__(target, version_cap=CONF.upgrade_levels.engine,
                         timeout=timeout)

    def identify_stack(self, context, stack_name_or_id):
        return self._call(context, 'identify_stack',
                          stack_name_or_id=stack_name_or_id)

    # --- snapshots --------------------------------------------------------

    def stack_snapshot(self, context, stack_identity, name):
        return self._call(context, 'stack_snapshot',
                          stack_identity=stack_identity, name=name)

    def stack_list_snapshots(self, context, stack_identity, page=None):
        """:param page: {limit, marker, sort_keys, sort_dir, filters};
            None: Heat's list (all, oldest first).
        """
        if page is None:
            return self._call(context, 'stack_list_snapshots',
                              stack_identity=stack_identity)
        return self._call(context, 'stack_list_snapshots', version='1.6',
                          stack_identity=stack_identity, page=page)

    def list_snapshot_resources(self, context, stack_identity, snapshot_id):
        return self._call(context, 'list_snapshot_resources', version='1.6',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def cancel_snapshot_operation(self, context, stack_identity,
                                  snapshot_id):
        return self._call(context, 'cancel_snapshot_operation',
                          version='1.6', stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def show_snapshot(self, context, stack_identity, snapshot_id):
        return self._call(context, 'show_snapshot',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def list_snapshots_json(self, context, stack_identity):
        """The JSON text of stack_list_snapshots' answer.

        Packed across the message bus (1.9). An engine older than 1.5
        (pinned by [upgrade_levels] engine) answers the list itself,
        encoded here.
        """
        if self._packs():
            return rpc.unpack_text(self._call(
                context, 'list_snapshots_packed', version='1.9',
                stack_identity=stack_identity))
        if not self._can_send('1.5'):
            return json.dumps(self.stack_list_snapshots(context,
                                                        stack_identity))
        return self._call(context, 'list_snapshots_json', version='1.5',
                          stack_identity=stack_identity)

    def show_snapshot_json(self, context, stack_identity, snapshot_id):
        """The JSON text of show_snapshot's answer (see
        list_snapshots_json).
        """
        if self._packs():
            return rpc.unpack_text(self._call(
                context, 'show_snapshot_packed', version='1.9',
                stack_identity=stack_identity, snapshot_id=snapshot_id))
        if not self._can_send('1.5'):
            return json.dumps(self.show_snapshot(context, stack_identity,
                                                 snapshot_id))
        return self._call(context, 'show_snapshot_json', version='1.5',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def _packs(self):
        # In one process the text is handed over as it is.
        return not self._in_process() and self._can_send('1.9')

    def delete_snapshot(self, context, stack_identity, snapshot_id):
        return self._call(context, 'delete_snapshot',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def stack_restore(self, context, stack_identity, snapshot_id):
        return self._call(context, 'stack_restore',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def restore_preview(self, context, stack_identity, snapshot_id):
        return self._call(context, 'restore_preview', version='1.4',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def clone_snapshot(self, context, snapshot_id, stack_name,
                       parameters=None, environment=None,
                       stack_identity=None, project_id=None):
        """:param project_id: the project-wide path's tenant (1.8). An
            engine pinned below 1.8 is sent none: it checks the caller's
            own project (or none for an admin) instead.
        """
        kwargs = {'snapshot_id': snapshot_id, 'stack_name': stack_name,
                  'parameters': parameters, 'environment': environment,
                  'stack_identity': stack_identity}
        if project_id is None or not self._can_send('1.8'):
            return self._call(context, 'clone_snapshot', version='1.4',
                              **kwargs)
        return self._call(context, 'clone_snapshot', version='1.8',
                          project_id=project_id, **kwargs)

    def stack_deleted(self, context, stack_id, project_id):
        """Heat accepted the stack's DELETE: follow it (no answer)."""
        cctxt = self._prepare('stack_deleted', '1.3')
        try:
            cctxt.cast(context, 'stack_deleted', stack_id=stack_id,
                       project_id=project_id)
        except messaging.MessageDeliveryFailure as e:
            # The notification listener and the stack check remain.
            LOG.warning('RPC stack_deleted was not delivered: %s', e)

    # --- snapshot policies (1.4) -----------------------------------------

    def create_snapshot_policy(self, context, project_id, definition):
        return self._call(context, 'create_snapshot_policy', version='1.7',
                          project_id=project_id, definition=definition)

    def list_snapshot_policies(self, context, project_id):
        return self._call(context, 'list_snapshot_policies', version='1.7',
                          project_id=project_id)

    def show_snapshot_policy(self, context, project_id, policy_id):
        return self._call(context, 'show_snapshot_policy', version='1.7',
                          project_id=project_id, policy_id=policy_id)

    def update_snapshot_policy(self, context, project_id, policy_id,
                               changes):
        return self._call(context, 'update_snapshot_policy', version='1.7',
                          project_id=project_id, policy_id=policy_id,
                          changes=changes)

    def delete_snapshot_policy(self, context, project_id, policy_id):
        return self._call(context, 'delete_snapshot_policy', version='1.7',
                          project_id=project_id, policy_id=policy_id)

    def run_snapshot_policy(self, context, project_id, policy_id):
        return self._call(context, 'run_snapshot_policy', version='1.7',
                          project_id=project_id, policy_id=policy_id)

    def list_policy_runs(self, context, project_id, policy_id, limit=None):
        return self._call(context, 'list_policy_runs', version='1.7',
                          project_id=project_id, policy_id=policy_id,
                          limit=limit)

    def preview_policy_prune(self, context, project_id, policy_id):
        return self._call(context, 'preview_policy_prune', version='1.7',
                          project_id=project_id, policy_id=policy_id)

    # --- every snapshot of a project (1.4) -------------------------------

    def list_project_snapshots(self, context, project_id, limit=None,
                               marker=None, sort_keys=None, sort_dir=None,
                               filters=None):
        return self._call(context, 'list_project_snapshots', version='1.7',
                          project_id=project_id, limit=limit, marker=marker,
                          sort_keys=sort_keys, sort_dir=sort_dir,
                          filters=filters)

    def show_project_snapshot(self, context, project_id, snapshot_id):
        return self._call(context, 'show_project_snapshot', version='1.7',
                          project_id=project_id, snapshot_id=snapshot_id)

    def delete_project_snapshot(self, context, project_id, snapshot_id):
        return self._call(context, 'delete_project_snapshot', version='1.7',
                          project_id=project_id, snapshot_id=snapshot_id)
