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

"""Version 1 of the API: /v1/{tenant_id}/stacks/..."""

import pecan

from heat_snapshots.api.controllers.v1 import project_snapshots
from heat_snapshots.api.controllers.v1 import snapshot_policies
from heat_snapshots.api.controllers.v1 import stacks
from heat_snapshots.common import exception


def check_tenant(context, tenant_id):
    """The caller may name ``tenant_id`` in a URL: its own, or any for an
    admin. Checked while routing, before any handler or engine lookup, as
    Heat does: a caller learns nothing about another tenant's stacks.

    :raises: Forbidden.
    """
    if tenant_id != context.project_id and not context.is_admin:
        raise exception.Forbidden()


# The collections under /v1/{tenant_id}/: Heat's stacks, then ours.
_COLLECTIONS = {
    'stacks': stacks.StacksController,
    'snapshot_policies': snapshot_policies.SnapshotPoliciesController,
    'snapshots': project_snapshots.ProjectSnapshotsController,
}


class Controller:
    """/v1: checks the URL's tenant, then routes to the stacks."""

    @pecan.expose()
    def _lookup(self, tenant_id, *remainder):
        check_tenant(pecan.request.context, tenant_id)
        # Heat's routes match no path with a trailing slash; without this,
        # pecan would drop the empty segment and route /stacks/name/ as a
        # lookup.
        if pecan.request.path_info.endswith('/'):
            pecan.abort(404)

        if not remainder or remainder[0] not in _COLLECTIONS:
            pecan.abort(404)
        return _COLLECTIONS[remainder[0]](tenant_id), remainder[1:]
