"""/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/resources"""


from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.policies import stacks as policies


class ResourcesController(base.RestController):

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.LIST_RESOURCES)
        found = utils.engine().list_stack_resources(utils.context(),
                                                    self.identity)
        return {'resources': [utils.format_resource(r) for r in found]}
