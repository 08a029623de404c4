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

"""/v1/{tenant_id}/snapshot_policies: schedules, retention and runs.

Not part of Heat's API (additive): a policy snapshots the project's stacks
it covers on a cron schedule and prunes its own snapshots by its rules.
"""

from http import client as http_client

import pecan

from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.api.schemas.v1 import snapshot_policies as schema
from heat_snapshots.api import validation
from heat_snapshots.policies import snapshot_policies as policies


def _definition(body_schema):
    body = validation.json_body(pecan.request)
    validation.validate(body, body_schema)
    return body['policy']


class SnapshotPoliciesController(base.RestController):
    """The project's snapshot policies."""

    def __init__(self, tenant_id):
        self.tenant_id = tenant_id

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.INDEX)
        found = utils.engine().list_snapshot_policies(utils.context(),
                                                      self.tenant_id)
        return {'policies': found}

    @fault.expose(status_code=http_client.CREATED)
    def post(self):
        utils.authorize(policies.CREATE)
        definition = _definition(schema.create)
        policy = utils.engine().create_snapshot_policy(
            utils.context(), self.tenant_id, definition)
        return {'policy': policy}

    @pecan.expose()
    def _lookup(self, policy_id, *remainder):
        return PolicyController(self.tenant_id, policy_id), remainder


class PolicyController(base.RestController):
    """One policy: show, update, delete; run, runs, prune_preview below."""

    _children = ('run', 'runs', 'prune_preview')

    def __init__(self, tenant_id, policy_id):
        self.tenant_id = tenant_id
        self.policy_id = policy_id
        self.run = RunController(tenant_id, policy_id)
        self.runs = RunsController(tenant_id, policy_id)
        self.prune_preview = PrunePreviewController(tenant_id, policy_id)

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.SHOW)
        found = utils.engine().show_snapshot_policy(
            utils.context(), self.tenant_id, self.policy_id)
        return {'policy': found}

    @fault.expose()
    def patch(self):
        utils.authorize(policies.UPDATE)
        changes = _definition(schema.update)
        policy = utils.engine().update_snapshot_policy(
            utils.context(), self.tenant_id, self.policy_id, changes)
        return {'policy': policy}

    @fault.expose(status_code=http_client.NO_CONTENT)
    def delete(self):
        utils.authorize(policies.DELETE)
        utils.engine().delete_snapshot_policy(utils.context(),
                                              self.tenant_id,
                                              self.policy_id)

    @pecan.expose()
    def _lookup(self, *remainder):
        return self._route_to_child(remainder)


class _PolicyChild(base.RestController):

    def __init__(self, tenant_id, policy_id):
        self.tenant_id = tenant_id
        self.policy_id = policy_id


class RunController(_PolicyChild):
    """POST .../{policy_id}/run: run the policy now; the body is ignored.
    """

    @fault.expose(status_code=http_client.ACCEPTED)
    def post(self):
        utils.authorize(policies.RUN)
        run = utils.engine().run_snapshot_policy(
            utils.context(), self.tenant_id, self.policy_id)
        return {'run': run}


class RunsController(_PolicyChild):
    """GET .../{policy_id}/runs: newest first; ``limit`` optional."""

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.LIST_RUNS)
        limit = pecan.request.GET.get('limit')
        if limit is not None:
            limit = utils.int_arg('limit', limit, clamp=True)
        runs = utils.engine().list_policy_runs(
            utils.context(), self.tenant_id, self.policy_id, limit=limit)
        return {'runs': runs}


class PrunePreviewController(_PolicyChild):
    """GET .../{policy_id}/prune_preview: what the next prune deletes."""

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.PRUNE_PREVIEW)
        found = utils.engine().preview_policy_prune(
            utils.context(), self.tenant_id, self.policy_id)
        return {'prune_preview': found}
