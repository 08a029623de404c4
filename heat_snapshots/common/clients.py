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

"""Sessions and openstacksdk connections to the cloud's services.

A request's work runs on the Keystone trust its request created
(common/trusts.py, ``deferred_auth_method = trusts``), else with the
caller's token while the request carries one ([heat_snapshots_clients]
use_caller_token); the engine's own work (the reconciler, Heat's
notifications, recovery of an operation without a trust) runs with the
service user of [heat_snapshots_service_auth], scoped to the project
concerned: never project-less (a context without a project id and without
a token is an error, NoProjectScope).

A context has one session (get_session): a walk's plugins share its
token, which keystoneauth renews when it expires, instead of asking
Keystone for one per resource.

Every session gets a timeout ([heat_snapshots_clients] timeout, or the
group's own keystoneauth ``timeout``), so that a service that hangs fails
the call instead of blocking a walk or a periodic task for ever.
"""

import contextlib
import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import identity
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import token_endpoint
from oslo_config import cfg
from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.common import sdk
from heat_snapshots.common import trusts
from heat_snapshots.conf import clients as clients_conf

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

SERVICE_AUTH_GROUP = clients_conf.SERVICE_AUTH_GROUP
APP_NAME = 'heat-snapshots'

# Guards the session each context keeps (get_session).
_SESSION_LOCK = threading.Lock()

_SCOPE_OPTIONS = ('project_name', 'project_domain_id',
                  'project_domain_name', 'domain_id', 'domain_name',
                  'system_scope', 'trust_id')


class NoProjectScope(exception.ServiceUnavailable):
    """Service credentials were asked for without a project to act in."""

    msg_fmt = 'No project to act in: %(reason)s'


class CloudTimeout(exception.ServiceUnavailable):
    """A cloud service did not answer in time."""

    msg_fmt = ('%(service)s did not answer within %(seconds)s seconds '
               '(%(detail)s)')


def session_timeout(conf=CONF, group=SERVICE_AUTH_GROUP):
    """Seconds a request of a session of ``group`` may take.

    The group's own keystoneauth ``timeout`` when it is set, else
    ``[heat_snapshots_clients] timeout``.
    """
    try:
        own = conf[group].timeout
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        own = None
    return own or conf[clients_conf.GROUP].timeout


@contextlib.contextmanager
def timeouts_as_errors(service, seconds):
    """Turn keystoneauth's timeout (connect or read) into CloudTimeout.

    :param service: the service's name for the message (``Cinder``).
    :param seconds: the timeout the session had.
    """
    try:
        yield
    except ks_exc.ConnectTimeout as error:
        if isinstance(seconds, (int, float)):
            seconds = '%g' % seconds
        raise CloudTimeout(service=service, seconds=seconds,
                           detail=error) from error


class CallerToken(token_endpoint.Token):
    """The caller's token, used as it is; endpoints come from overrides.

    Used when no Keystone URL is configured to re-scope the token and read
    the catalog with it (tests, all-in-one setups).
    """

    def __init__(self, token, project_id=None, user_id=None):
        super().__init__(None, token)
        self._project_id = project_id
        self._user_id = user_id

    def get_project_id(self, session, **kwargs):
        return self._project_id

    def get_user_id(self, session, **kwargs):
        return self._user_id

    def get_endpoint(self, session, **kwargs):
        return None


def format_endpoint(endpoint, project_id):
    """``endpoint`` with %(project_id)s / %(tenant_id)s filled in."""
    if not endpoint:
        return endpoint
    values = {'project_id': project_id or '', 'tenant_id': project_id or ''}
    try:
        return endpoint % values
    except (KeyError, TypeError, ValueError):
        return endpoint


def _plugin_option_names(conf, group):
    auth_type = conf[group].auth_type
    if not auth_type:
        return set()
    return {opt.dest for opt in ks_loading.get_plugin_options(auth_type)}


def service_auth(conf=CONF, project_id=None, group=SERVICE_AUTH_GROUP):
    """The service user's auth plugin, scoped to ``project_id`` if given.

    Without ``project_id`` the plugin has the scope configured in the
    group (the service's own project): only for the heat driver's own
    credentials.

    :returns: None when the group has no auth_type.
    :raises: NoProjectScope when ``project_id`` is given but the
        configured auth plugin cannot be scoped to a project.
    """
    if not conf[group].auth_type:
        return None
    overrides = {}
    names = _plugin_option_names(conf, group)
    if project_id:
        if 'project_id' not in names:
            raise NoProjectScope(
                reason='the auth_type %s of [%s] cannot be scoped to '
                       'project %s' % (conf[group].auth_type, group,
                                       project_id))
        overrides['project_id'] = project_id
        for name in _SCOPE_OPTIONS:
            if name in names:
                overrides[name] = None
    return ks_loading.load_auth_from_conf_options(conf, group, **overrides)


def caller_auth(context, conf=CONF):
    """An auth plugin carrying the caller's token, or None."""
    token = getattr(context, 'auth_token', None)
    if not token or not conf.heat_snapshots_clients.use_caller_token:
        return None
    service = service_auth(conf)
    auth_url = getattr(service, 'auth_url', None)
    if auth_url:
        # Re-scoped with Keystone: gives the catalog for the caller.
        return identity.v3.Token(auth_url=auth_url, token=token,
                                 project_id=context.project_id)
    return CallerToken(token, project_id=context.project_id,
                       user_id=context.user_id)


def trust_auth(context, conf=CONF):
    """The trustee's plugin scoped to ``context``'s trust, or None."""
    trust_id = getattr(context, 'trust_id', None)
    if not trust_id:
        return None
    return trusts.trustee_auth(conf, trust_id)


def can_act_for(context, conf=CONF):
    """Whether a session can be made for ``context``.

    That is: on its trust, with its token, or with service credentials.
    """
    return bool(conf[SERVICE_AUTH_GROUP].auth_type or
                getattr(context, 'trust_id', None) or (
                    getattr(context, 'auth_token', None) and
                    conf.heat_snapshots_clients.use_caller_token))


def _no_credentials():
    return exception.ServiceUnavailable(
        reason='no token to act with and no service credentials in '
               '[%s]' % SERVICE_AUTH_GROUP)


def _load_session(conf, group, auth):
    session = ks_loading.load_session_from_conf_options(
        conf, group, auth=auth, timeout=session_timeout(conf, group))
    session.app_name = APP_NAME
    return session


def get_session(context, conf=CONF, group=SERVICE_AUTH_GROUP, auth=None):
    """The keystoneauth session of ``context``'s project.

    Made once per context and kept on it, so that the work of one context
    (a walk) authenticates once and its token is renewed by keystoneauth
    as it expires.

    See _new_session for the credentials.
    """
    if auth is not None or context is None:
        return _new_session(context, conf, group, auth)
    key = (id(conf), group)
    with _SESSION_LOCK:
        sessions = context.__dict__.setdefault('_cloud_sessions', {})
        if key not in sessions:
            sessions[key] = _new_session(context, conf, group, None)
        return sessions[key]


def _new_session(context, conf, group, auth):
    """A keystoneauth session for ``context``'s project.

    On the context's trust when it has one, else the caller's token when
    the context has one (and use_caller_token), else the service user of
    [heat_snapshots_service_auth] scoped to the context's project (a
    context from common.context.service_context).

    :raises: ServiceUnavailable when there is no way to authenticate;
        NoProjectScope when the context has neither a token nor a project.
    """
    if auth is None:
        auth = trust_auth(context, conf) or caller_auth(context, conf)
    if auth is None:
        if not conf[SERVICE_AUTH_GROUP].auth_type:
            raise _no_credentials()
        project_id = getattr(context, 'project_id', None)
        if not project_id:
            raise NoProjectScope(
                reason='the request %s has no token and no project id; '
                       'service credentials are only used scoped to the '
                       'project concerned' % getattr(context, 'request_id',
                                                     None))
        if trusts.enabled(conf):
            LOG.info('Request %s acts in project %s as the service user of '
                     '[%s]: it has no trust and no token of a caller',
                     getattr(context, 'request_id', None), project_id,
                     SERVICE_AUTH_GROUP)
        auth = service_auth(conf, project_id)
    return _load_session(conf, group, auth)


def connection(context, conf=CONF, session=None, project_id=None):
    """An openstacksdk Connection acting for ``context``'s project.

    ``project_id`` (default: the context's) fills the endpoint overrides.
    """
    if session is None:
        session = get_session(context, conf)
    options = conf.heat_snapshots_clients
    project_id = project_id or getattr(context, 'project_id', None)
    kwargs = {}
    for service in ('block_storage', 'compute', 'image'):
        override = getattr(options, '%s_endpoint_override' % service)
        if override:
            kwargs['%s_endpoint_override' % service] = format_endpoint(
                override, project_id)
    return sdk.connection.Connection(
        session=session, region_name=options.region_name,
        interface=options.interface,
        global_request_id=getattr(context, 'global_id', None),
        **kwargs)


def scoped_project_id(conn):
    """The project the connection's token is scoped to, or None."""
    try:
        return conn.session.get_project_id()
    except Exception:
        LOG.exception('Could not tell the project of a connection')
        return None
