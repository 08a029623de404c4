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

"""oslo.messaging set-up shared by the API and the engine."""

from oslo_config import cfg
import oslo_messaging as messaging

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception

CONF = cfg.CONF
TRANSPORT = None

# Exceptions from these modules are re-raised as themselves on the caller's
# side, so the API maps them to Heat's codes without a lookup table.
ALLOWED_EXMODS = [exception.__name__]


def is_in_process(conf=CONF):
    return (conf.transport_url or '').startswith('fake:')


# The engine manager running in this process, if the API calls it directly
# (heat-snapshots-all; ironic's LocalContext idea): see engine/rpcapi.py.
_LOCAL_MANAGER = None


def set_local_manager(manager):
    """Make EngineAPI call ``manager`` in this process, or stop (None)."""
    global _LOCAL_MANAGER
    _LOCAL_MANAGER = manager


def get_local_manager():
    """The engine manager EngineAPI calls directly, or None."""
    return _LOCAL_MANAGER


def init(conf=CONF):
    global TRANSPORT
    if TRANSPORT is None:
        TRANSPORT = messaging.get_rpc_transport(
            conf, allowed_remote_exmods=ALLOWED_EXMODS)
    return TRANSPORT


def cleanup():
    global TRANSPORT
    if TRANSPORT is not None:
        TRANSPORT.cleanup()
        TRANSPORT = None


class RequestContextSerializer(messaging.Serializer):
    """Sends the caller's context with every call."""

    def serialize_entity(self, context, entity):
        return entity

    def deserialize_entity(self, context, entity):
        return entity

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return hs_context.RequestContext.from_dict(context)


def get_client(target, version_cap=None, timeout=None):
    return messaging.get_rpc_client(
        init(), target, version_cap=version_cap,
        serializer=RequestContextSerializer(), timeout=timeout)


def get_server(target, endpoints):
    """An RPC server dispatching only to methods marked @messaging.expose.
    """
    # The threading executor is the default; naming it is deprecated.
    return messaging.get_rpc_server(
        init(), target, endpoints,
        serializer=RequestContextSerializer(),
        access_policy=messaging.ExplicitRPCAccessPolicy)
