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

"""/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/resources"""

import pecan

from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import events
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.policies import stacks as policies


class ResourcesController(base.RestController):

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.LIST_RESOURCES)
        depth = pecan.request.GET.getall('nested_depth')
        depth = utils.int_arg('nested_depth', depth[-1],
                              clamp=True) if depth else 0
        found = utils.stacks().list_stack_resources(
            utils.context(), self.identity, nested_depth=depth)
        return {'resources': [utils.format_resource(r) for r in found]}

    @pecan.expose()
    def _lookup(self, resource_name, *remainder):
        return ResourceController(self.identity, resource_name), remainder


class ResourceController(base.RestController):
    """/resources/{resource_name}: Heat's resource show, and its events."""

    _children = ('events',)

    def __init__(self, identity, resource_name):
        self.identity = identity
        self.resource_name = resource_name
        self.events = events.ResourceEventsController(identity,
                                                      resource_name)

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.SHOW_RESOURCE)
        found = utils.stacks().show_resource(utils.context(), self.identity,
                                             self.resource_name)
        return {'resource': utils.format_resource(found)}

    @pecan.expose()
    def _lookup(self, *remainder):
        return self._route_to_child(remainder)
