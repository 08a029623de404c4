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

import base64
import copy
import zlib

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception

CONF = cfg.CONF
LOG = logging.getLogger(__name__)
TRANSPORT = None

# Exceptions from these modules are re-raised as themselves on the caller's
# side, so the API maps them to Heat's codes without a lookup table.
ALLOWED_EXMODS = [exception.__name__]


def is_in_process(conf=CONF):
    return (conf.transport_url or '').startswith('fake:')


def pack_text(text):
    """``text`` as a reply that crosses the message bus small: zlib at its
    fastest level, in base64. A snapshot's JSON text (its template and
    resources, mostly quotes) is escaped again by each of the bus's JSON
    layers; packed, it is a sixth of its size and has nothing to escape.
    """
    return base64.b64encode(zlib.compress(text.encode('utf-8'), 1)).decode(
        'ascii')


def unpack_text(packed):
    """The text ``pack_text`` packed."""
    return zlib.decompress(base64.b64decode(packed)).decode('utf-8')


# The RPC endpoints of the engine running in this process, by namespace,
# if the API calls them directly (heat-snapshots-all; ironic's LocalContext
# idea): see Client.
_LOCAL_ENDPOINTS = {}


def set_local_endpoints(endpoints):
    """Make the clients of this process call ``endpoints`` directly.

    :param endpoints: the engine's endpoint objects, each with its
        ``target``; empty to call over RPC again.
    """
    global _LOCAL_ENDPOINTS
    _LOCAL_ENDPOINTS = {e.target.namespace: e for e in endpoints}


def get_local_endpoints():
    return list(_LOCAL_ENDPOINTS.values())


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


class LocalContext:
    """Calls an endpoint of this process as its RPC server would.

    The endpoint gets a copy of the context, rebuilt from its wire form as
    over RPC, and copies of the arguments; an expected exception reaches
    the caller as itself, as oslo.messaging re-raises it; only methods the
    RPC server would dispatch (``@messaging.expose``) can be called.
    """

    _serializer = RequestContextSerializer()

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def call(self, context, method, **kwargs):
        function = getattr(self.endpoint, method, None)
        if not getattr(function, 'exposed', False):
            raise messaging.NoSuchMethod(method)
        context = self._serializer.deserialize_context(
            self._serializer.serialize_context(context))
        try:
            return function(context, **copy.deepcopy(kwargs))
        except messaging.ExpectedException as e:
            error, traceback = e.exc_info[1:]
            raise error.with_traceback(traceback) from None

    def cast(self, context, method, **kwargs):
        self.call(context, method, **kwargs)


# What the dispatcher of a server without the endpoint's namespace answers
# (over a broker as a RemoteError: it is not in ALLOWED_EXMODS).
_NOT_SERVED = messaging.UnsupportedVersion.__name__


class Client:
    """The calling side of one endpoint of the engine.

    When the engine runs in this process (heat-snapshots-all registers its
    endpoints with ``set_local_endpoints``), calls go to it directly.
    """

    def __init__(self, target, version_cap=None, timeout=None):
        self.namespace = target.namespace
        self.client = get_client(target, version_cap=version_cap,
                                 timeout=timeout)

    def _not_served(self, method):
        """The error for a call no engine serves (a subclass may say why).
        """
        return exception.ServiceUnavailable(
            reason='no engine serves %s' % method)

    def _prepare(self, method, version):
        """A direct call to this process's engine, if it has one, or RPC."""
        if _LOCAL_ENDPOINTS:
            endpoint = _LOCAL_ENDPOINTS.get(self.namespace)
            if endpoint is None:
                raise self._not_served(method)
            return LocalContext(endpoint)
        return self.client.prepare(version=version)

    def _in_process(self):
        """Whether calls go to this process's engine (no message bus)."""
        return bool(_LOCAL_ENDPOINTS)

    def _can_send(self, version):
        """Whether the engine may be called at ``version`` (always, in
        this process).
        """
        return self._in_process() or self.client.can_send_version(version)

    def _call(self, context, method, version='1.0', **kwargs):
        cctxt = self._prepare(method, version)
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
        except messaging.UnsupportedVersion:
            raise self._not_served(method)
        except messaging.RemoteError as e:
            if e.exc_type == _NOT_SERVED:
                raise self._not_served(method)
            raise
