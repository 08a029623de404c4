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

"""Client side of the stack store's RPC API (manager.StackManager).

See manager.py for the version history.
"""

from oslo_config import cfg
import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots.common import rpc
from heat_snapshots.localstack import manager

CONF = cfg.CONF

RPC_API_VERSION = manager.RPC_API_VERSION


class StackAPI(rpc.Client):
    """Every stack CRUD call the API makes to the engine."""

    def __init__(self, timeout=None):
        target = messaging.Target(topic=CONF.heat_snapshots.topic,
                                  namespace=manager.NAMESPACE,
                                  version=RPC_API_VERSION)
        super().__init__(target, version_cap=CONF.upgrade_levels.stacks,
                         timeout=timeout)

    def _not_served(self, method):
        # The engines run a stack driver that leaves stacks to another
        # service (Heat): its endpoint is not there.
        return exception.NotSupported(
            feature='Managing stacks with the %s stack driver'
            % CONF.heat_snapshots.stack_driver)

    def list_stacks(self, context, filters=None, limit=None):
        return self._call(context, 'list_stacks', filters=filters,
                          limit=limit)

    def create_stack(self, context, stack_name, template, params, files,
                     environment, args):
        return self._call(context, 'create_stack', stack_name=stack_name,
                          template=template, params=params, files=files,
                          environment=environment, args=args)

    def show_stack(self, context, stack_identity):
        return self._call(context, 'show_stack',
                          stack_identity=stack_identity)

    def update_stack(self, context, stack_identity, template, params, files,
                     environment, args, existing=False):
        return self._call(context, 'update_stack',
                          stack_identity=stack_identity, template=template,
                          params=params, files=files,
                          environment=environment, args=args,
                          existing=existing)

    def delete_stack(self, context, stack_identity):
        return self._call(context, 'delete_stack',
                          stack_identity=stack_identity)

    def get_template(self, context, stack_identity):
        return self._call(context, 'get_template',
                          stack_identity=stack_identity)

    def list_stack_resources(self, context, stack_identity,
                             nested_depth=0):
        if not nested_depth or (not rpc.get_local_endpoints() and
                                not self.client.can_send_version('1.1')):
            # What an endpoint older than 1.1 answers: the top stack's
            # resources.
            return self._call(context, 'list_stack_resources',
                              stack_identity=stack_identity)
        return self._call(context, 'list_stack_resources', version='1.1',
                          stack_identity=stack_identity,
                          nested_depth=nested_depth)

    def show_resource(self, context, stack_identity, resource_name):
        return self._call(context, 'show_resource',
                          stack_identity=stack_identity,
                          resource_name=resource_name)

    def list_events(self, context, stack_identity, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None,
                    detail=False):
        return self._call(context, 'list_events',
                          stack_identity=stack_identity, filters=filters,
                          limit=limit, marker=marker, sort_keys=sort_keys,
                          sort_dir=sort_dir, detail=detail)

    def get_environment(self, context, stack_identity):
        return self._call(context, 'get_environment',
                          stack_identity=stack_identity)

    def get_files(self, context, stack_identity):
        return self._call(context, 'get_files',
                          stack_identity=stack_identity)

    def list_outputs(self, context, stack_identity):
        return self._call(context, 'list_outputs',
                          stack_identity=stack_identity)

    def show_output(self, context, stack_identity, output_key):
        return self._call(context, 'show_output',
                          stack_identity=stack_identity,
                          output_key=output_key)
