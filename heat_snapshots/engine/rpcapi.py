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
"""

import copy

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots.common import rpc

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

RPC_API_VERSION = '1.1'


class LocalContext:
    """Calls an engine manager of this process as its RPC server would.

    The manager gets a copy of the context, rebuilt from its wire form as
    over RPC, and copies of the arguments; an expected exception reaches
    the caller as itself, as oslo.messaging re-raises it; only methods the
    RPC server would dispatch (``@messaging.expose``) can be called.
    """

    _serializer = rpc.RequestContextSerializer()

    def __init__(self, manager):
        self.manager = manager

    def call(self, context, method, **kwargs):
        function = getattr(self.manager, method, None)
        if not getattr(function, 'exposed', False):
            raise messaging.NoSuchMethod(method)
        context = self._serializer.deserialize_context(
            self._serializer.serialize_context(context))
        try:
            return function(context, **copy.deepcopy(kwargs))
        except messaging.ExpectedException as e:
            error, traceback = e.exc_info[1:]
            raise error.with_traceback(traceback) from None


class EngineAPI:
    """Every call the API makes to the engine.

    When an engine runs in this process (heat-snapshots-all registers it
    with ``rpc.set_local_manager``), calls go to it directly.
    """

    def __init__(self, timeout=None):
        target = messaging.Target(topic=CONF.heat_snapshots.topic,
                                  version=RPC_API_VERSION)
        self.client = rpc.get_client(
            target, version_cap=CONF.upgrade_levels.engine, timeout=timeout)

    def _prepare(self, version):
        """A direct call to this process's engine, if it has one, or RPC."""
        manager = rpc.get_local_manager()
        if manager is not None:
            return LocalContext(manager)
        return self.client.prepare(version=version)

    def _call(self, context, method, version='1.0', **kwargs):
        cctxt = self._prepare(version)
        try:
            return cctxt.call(context, method, **kwargs)
        except messaging.MessagingTimeout:
            raise exception.EngineTimeout(
                seconds=self.client.timeout or CONF.rpc_response_timeout)
        except messaging.MessageDeliveryFailure as e:
            # The broker's words name its address: logged, not returned.
            LOG.warning('RPC %s was not delivered: %s', method, e)
            raise exception.ServiceUnavailable(
                reason='no engine could be reached through the message '
                       'broker')

    # --- stacks -----------------------------------------------------------

    def identify_stack(self, context, stack_name_or_id):
        return self._call(context, 'identify_stack',
                          stack_name_or_id=stack_name_or_id)

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

    def list_stack_resources(self, context, stack_identity):
        return self._call(context, 'list_stack_resources',
                          stack_identity=stack_identity)

    def show_resource(self, context, stack_identity, resource_name):
        return self._call(context, 'show_resource', version='1.1',
                          stack_identity=stack_identity,
                          resource_name=resource_name)

    def list_events(self, context, stack_identity, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None,
                    detail=False):
        return self._call(context, 'list_events', version='1.1',
                          stack_identity=stack_identity, filters=filters,
                          limit=limit, marker=marker, sort_keys=sort_keys,
                          sort_dir=sort_dir, detail=detail)

    def get_environment(self, context, stack_identity):
        return self._call(context, 'get_environment', version='1.1',
                          stack_identity=stack_identity)

    def get_files(self, context, stack_identity):
        return self._call(context, 'get_files', version='1.1',
                          stack_identity=stack_identity)

    def list_outputs(self, context, stack_identity):
        return self._call(context, 'list_outputs', version='1.1',
                          stack_identity=stack_identity)

    def show_output(self, context, stack_identity, output_key):
        return self._call(context, 'show_output', version='1.1',
                          stack_identity=stack_identity,
                          output_key=output_key)

    # --- snapshots --------------------------------------------------------

    def stack_snapshot(self, context, stack_identity, name):
        return self._call(context, 'stack_snapshot',
                          stack_identity=stack_identity, name=name)

    def stack_list_snapshots(self, context, stack_identity):
        return self._call(context, 'stack_list_snapshots',
                          stack_identity=stack_identity)

    def show_snapshot(self, context, stack_identity, snapshot_id):
        return self._call(context, 'show_snapshot',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def delete_snapshot(self, context, stack_identity, snapshot_id):
        return self._call(context, 'delete_snapshot',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)

    def stack_restore(self, context, stack_identity, snapshot_id):
        return self._call(context, 'stack_restore',
                          stack_identity=stack_identity,
                          snapshot_id=snapshot_id)
