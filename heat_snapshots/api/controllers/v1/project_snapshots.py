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

"""/v1/{tenant_id}/snapshots: every snapshot of the project.

Not part of Heat's API (additive). Lists, shows, deletes and clones into
a new stack the snapshots of every stack of the project, snapshots kept
after their stack by a policy's ``keep_after_stack_delete`` included.
"""

from http import client as http_client

import pecan

from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import paging
from heat_snapshots.api.controllers.v1 import snapshots
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.api import validation
from heat_snapshots.policies import snapshot_policies as policies


class ProjectSnapshotsController(base.RestController):
    """The project's snapshots, of live and deleted stacks."""

    def __init__(self, tenant_id):
        self.tenant_id = tenant_id

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.SNAPSHOTS_INDEX)
        found = utils.engine().list_project_snapshots(
            utils.context(), self.tenant_id,
            **paging.snapshot_page(pecan.request.GET))
        return {'snapshots': found}

    @pecan.expose()
    def _lookup(self, snapshot_id, *remainder):
        return ProjectSnapshotController(self.tenant_id, snapshot_id), \
            remainder


class ProjectSnapshotController(base.RestController):
    """One snapshot of the project: show and delete; clone below it."""

    _children = ('clone',)

    def __init__(self, tenant_id, snapshot_id):
        self.tenant_id = tenant_id
        self.snapshot_id = snapshot_id
        self.clone = ProjectCloneController(tenant_id, snapshot_id)

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.SNAPSHOTS_SHOW)
        found = utils.engine().show_project_snapshot(
            utils.context(), self.tenant_id, self.snapshot_id)
        return {'snapshot': found}

    @fault.expose(status_code=http_client.NO_CONTENT)
    def delete(self):
        utils.authorize(policies.SNAPSHOTS_DELETE)
        utils.engine().delete_project_snapshot(
            utils.context(), self.tenant_id, self.snapshot_id)

    @pecan.expose()
    def _lookup(self, *remainder):
        return self._route_to_child(remainder)


class ProjectCloneController(base.RestController):
    """POST /v1/{tenant_id}/snapshots/{snapshot_id}/clone: a new stack of
    the snapshot, its stack still there or not (the stack-scoped clone's
    code, the snapshot checked against the URL's tenant); answered as
    Heat answers a stack create.
    """

    def __init__(self, tenant_id, snapshot_id):
        self.tenant_id = tenant_id
        self.snapshot_id = snapshot_id

    @fault.expose(status_code=http_client.CREATED)
    def post(self):
        utils.authorize(policies.SNAPSHOTS_CLONE)
        body = validation.json_body(pecan.request)
        return snapshots.clone_response(body, self.snapshot_id,
                                        project_id=self.tenant_id)
