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

"""/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/snapshots

A snapshot, a restore and a snapshot delete outlive the request: each
gives the engine a Keystone trust of the caller (common/trusts.py).
"""

from http import client as http_client
import json

import pecan
import webob.exc

from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import paging
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.api.schemas.v1 import snapshots as schema
from heat_snapshots.api import validation
from heat_snapshots.common import trusts
from heat_snapshots.policies import snapshot_operations as op_policies
from heat_snapshots.policies import snapshots as policies


def _snapshot_name(body):
    """The name to store: a string or None.

    Heat stores a number or boolean name as a string (and echoes the raw
    value once); we convert it up front so every answer agrees.
    """
    validation.validate(body, schema.create)
    name = body.get('name')
    if name is None or isinstance(name, str):
        return name
    name = json.dumps(name)
    # The limits apply to what is stored: 10**300 is 301 characters.
    validation.validate({'name': name}, schema.create)
    return name


def list_snapshots(context, engine, identity):
    """GET .../snapshots: the body, as JSON text (the engine's).

    Also called by api/reads.py, without pecan.

    :raises: PolicyNotAuthorized, the engine's errors.
    """
    context.can(policies.LIST_SNAPSHOTS)
    return fault.wrapped('snapshots',
                         engine.list_snapshots_json(context, identity))


def show_snapshot(context, engine, identity, snapshot_id):
    """GET .../snapshots/{snapshot_id}: the body, as JSON text.

    Also called by api/reads.py, without pecan.

    :raises: PolicyNotAuthorized, the engine's errors.
    """
    context.can(policies.SHOW_SNAPSHOT)
    return fault.wrapped('snapshot', engine.show_snapshot_json(
        context, identity, snapshot_id))


class SnapshotsController(base.RestController):
    """The snapshots of one stack."""

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        """Heat's list; with paging, sorting or filters (heat-snapshots'
        extension) a page of it.
        """
        params = pecan.request.GET
        if not paging.requested(params):
            return list_snapshots(utils.context(), utils.engine(),
                                  self.identity)
        utils.authorize(policies.LIST_SNAPSHOTS)
        found = utils.engine().stack_list_snapshots(
            utils.context(), self.identity, page=paging.snapshot_page(params))
        return {'snapshots': found}

    @fault.expose(status_code=http_client.OK)
    def post(self):
        """Heat answers 200 with the bare snapshot, not wrapped."""
        utils.authorize(policies.SNAPSHOT)
        name = _snapshot_name(validation.json_body(pecan.request))
        with trusts.delegated(utils.context()) as context:
            return utils.engine().stack_snapshot(context, self.identity,
                                                 name)

    @pecan.expose()
    def _lookup(self, snapshot_id, *remainder):
        return SnapshotController(self.identity, snapshot_id), remainder


class SnapshotController(base.RestController):
    """One snapshot: show and delete; restore, resources and cancel below
    it.
    """

    _children = ('restore', 'restore_preview', 'clone', 'resources',
                 'cancel')

    def __init__(self, identity, snapshot_id):
        self.identity = identity
        self.snapshot_id = snapshot_id
        self.restore = RestoreController(identity, snapshot_id)
        self.restore_preview = RestorePreviewController(identity,
                                                        snapshot_id)
        self.clone = CloneController(identity, snapshot_id)
        self.resources = ResourcesController(identity, snapshot_id)
        self.cancel = CancelController(identity, snapshot_id)

    @fault.expose()
    def get_all(self):
        return show_snapshot(utils.context(), utils.engine(), self.identity,
                             self.snapshot_id)

    @fault.expose(status_code=http_client.NO_CONTENT)
    def delete(self):
        utils.authorize(policies.DELETE_SNAPSHOT)
        with trusts.delegated(utils.context()) as context:
            utils.engine().delete_snapshot(context, self.identity,
                                           self.snapshot_id)

    @pecan.expose()
    def _lookup(self, *remainder):
        return self._route_to_child(remainder)


class RestoreController(base.RestController):
    """POST .../snapshots/{snapshot_id}/restore; the body is ignored."""

    def __init__(self, identity, snapshot_id):
        self.identity = identity
        self.snapshot_id = snapshot_id

    @fault.expose()
    def post(self):
        utils.authorize(policies.RESTORE_SNAPSHOT)
        with trusts.delegated(utils.context()) as context:
            utils.engine().stack_restore(context, self.identity,
                                         self.snapshot_id)
        return fault.status_page(webob.exc.HTTPAccepted, pecan.request)


class RestorePreviewController(base.RestController):
    """POST .../snapshots/{snapshot_id}/restore_preview (heat-snapshots'
    own): Heat's update-preview answer for the restore, with
    ``data_loss``; the body is ignored.
    """

    def __init__(self, identity, snapshot_id):
        self.identity = identity
        self.snapshot_id = snapshot_id

    @fault.expose(status_code=http_client.OK)
    def post(self):
        utils.authorize(policies.PREVIEW_RESTORE_SNAPSHOT)
        return utils.engine().restore_preview(utils.context(),
                                              self.identity,
                                              self.snapshot_id)


class CloneController(base.RestController):
    """POST .../snapshots/{snapshot_id}/clone (heat-snapshots' own):
    answered as Heat answers a stack create.
    """

    def __init__(self, identity, snapshot_id):
        self.identity = identity
        self.snapshot_id = snapshot_id

    @fault.expose(status_code=http_client.CREATED)
    def post(self):
        utils.authorize(policies.CLONE_SNAPSHOT)
        body = validation.json_body(pecan.request)
        return clone_response(body, self.snapshot_id, self.identity)


def clone_response(body, snapshot_id, stack_identity=None,
                   project_id=None):
    """Clone the snapshot as ``body`` asks; Heat's answer to a stack
    create (201, the new stack's id and link, its URL in Location).

    The stack-scoped path names the snapshot's stack (``stack_identity``);
    the project-wide path (project_snapshots.py) names the URL's tenant
    (``project_id``) instead, the snapshot's stack perhaps gone.
    """
    validation.validate(body, schema.clone)
    with trusts.delegated(utils.context()) as context:
        identity = utils.engine().clone_snapshot(
            context, snapshot_id, body['stack_name'],
            parameters=body.get('parameters') or {},
            environment=body.get('environment') or {},
            stack_identity=stack_identity, project_id=project_id)
    location = utils.stack_url(identity)
    pecan.response.headers['Location'] = location
    return {'stack': {'id': identity[utils.STACK_ID],
                      'links': [utils.link(location)]}}


class ResourcesController(base.RestController):
    """GET .../snapshots/{snapshot_id}/resources (heat-snapshots'
    extension): each resource of the snapshot's last operation.
    """

    def __init__(self, identity, snapshot_id):
        self.identity = identity
        self.snapshot_id = snapshot_id

    @fault.expose()
    def get_all(self):
        utils.authorize(op_policies.LIST_RESOURCES)
        found = utils.engine().list_snapshot_resources(
            utils.context(), self.identity, self.snapshot_id)
        return {'resources': found}


class CancelController(base.RestController):
    """POST .../snapshots/{snapshot_id}/cancel (heat-snapshots'
    extension); the body is ignored.
    """

    def __init__(self, identity, snapshot_id):
        self.identity = identity
        self.snapshot_id = snapshot_id

    @fault.expose()
    def post(self):
        utils.authorize(op_policies.CANCEL)
        utils.engine().cancel_snapshot_operation(
            utils.context(), self.identity, self.snapshot_id)
        return fault.status_page(webob.exc.HTTPAccepted, pecan.request)
