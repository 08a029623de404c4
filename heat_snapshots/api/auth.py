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

"""Identity middlewares other than keystonemiddleware's auth_token.

noauth: as Heat's noauth pipeline, the caller names itself with
``X-Auth-User`` and ``X-Auth-Project`` (both default to ``admin``). Unlike
Heat, the roles come from ``X-Roles`` when given and are otherwise
``member, reader``, so that a noauth caller is an ordinary project member
unless it asks to be an admin.

Because anyone who can send a request is believed, noauth also keeps out
the requests a web page in the user's browser can make to a loopback
service (unless ``allow_noauth_on_any_address`` says the deployment is on
a network of its own):

* a request from a peer that is not on loopback (403);
* a ``Host`` that is not a loopback name or address (400): a page whose
  DNS name is rebound to 127.0.0.1 sends its own name;
* a POST, PUT or PATCH a browser sends across origins without asking
  first (a CORS preflight): one that is not declared
  ``application/json`` and names no caller in ``X-Auth-User`` /
  ``X-Auth-Project`` / ``X-Roles`` (415) -- a form or ``text/plain`` body
  would otherwise act as project ``admin``.

heat_api (the paste filter inside heat-api, after heat-api's own
authentication and context middleware): the caller is the one in the
request context heat-api made, which no request header can forge.

Both set the environ keys keystonemiddleware sets, so the rest of the API
cannot tell them apart.
"""

import ipaddress
import re

from oslo_log import log as logging
from webob import exc as webob_exc

from heat_snapshots.api import fault

LOG = logging.getLogger(__name__)

DEFAULT_USER = 'admin'
DEFAULT_PROJECT = 'admin'
DEFAULT_ROLES = ('member', 'reader')

# Keystone's default implied roles: admin implies member, member implies
# reader. A token carries them expanded; noauth expands them the same way
# so the default policies (role:member, role:reader) see what they would.
_IMPLIED_ROLES = {'admin': ('member',), 'member': ('reader',)}

# Identity keys a caller must not be able to set for itself; the ones
# keystonemiddleware's remove_auth_headers strips, for the same reason.
_IDENTITY_KEYS = (
    'HTTP_X_IDENTITY_STATUS', 'HTTP_X_SERVICE_IDENTITY_STATUS',
    'HTTP_X_DOMAIN_ID', 'HTTP_X_DOMAIN_NAME',
    'HTTP_X_PROJECT_ID', 'HTTP_X_PROJECT_NAME',
    'HTTP_X_PROJECT_DOMAIN_ID', 'HTTP_X_PROJECT_DOMAIN_NAME',
    'HTTP_X_USER_ID', 'HTTP_X_USER_NAME',
    'HTTP_X_USER_DOMAIN_ID', 'HTTP_X_USER_DOMAIN_NAME',
    'HTTP_X_ROLES', 'HTTP_X_SERVICE_ROLES', 'HTTP_X_SERVICE_CATALOG',
    'HTTP_X_IS_ADMIN_PROJECT', 'HTTP_X_SYSTEM_SCOPE',
    'HTTP_X_TENANT_ID', 'HTTP_X_TENANT_NAME', 'HTTP_X_TENANT',
    'HTTP_X_USER', 'HTTP_X_ROLE',
    'HTTP_X_SERVICE_USER_ID', 'HTTP_X_SERVICE_USER_NAME',
    'HTTP_X_SERVICE_PROJECT_ID', 'HTTP_X_SERVICE_PROJECT_NAME',
)


# What a browser may send across origins without a CORS preflight.
_BODY_METHODS = ('POST', 'PUT', 'PATCH')
JSON = 'application/json'
# The headers only a preflighted (or non-browser) request can carry.
_CALLER_HEADERS = ('HTTP_X_AUTH_USER', 'HTTP_X_AUTH_PROJECT', 'HTTP_X_ROLES')

# host, or [IPv6], then an optional port.
_HOST = re.compile(r'^(?P<host>\[[^\]]*\]|[^:\[\]]*)(?::[0-9]*)?$')
LOOPBACK_NAMES = ('localhost',)

NOT_LOOPBACK_HOST = ('The Host header %r does not name this host\'s '
                     'loopback (localhost, 127.0.0.1 or [::1]); noauth '
                     'serves only those.')
NOT_LOOPBACK_PEER = ('noauth serves callers on loopback only.')
NOT_JSON = ('A %s to this API without authentication must have '
            'Content-Type: application/json (or name its caller in '
            'X-Auth-User / X-Auth-Project).')


def is_loopback_host(value):
    """Whether a Host header names a loopback address or ``localhost``."""
    match = _HOST.match((value or '').strip())
    if match is None:
        return False
    host = match.group('host').lower()
    if host.startswith('['):
        host = host[1:-1]
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_loopback_peer(address):
    try:
        return ipaddress.ip_address(address.split('%', 1)[0]).is_loopback
    except ValueError:
        return False


def noauth_refusal(environ):
    """The HTTP error noauth answers ``environ`` with, or None."""
    peer = environ.get('REMOTE_ADDR')
    if peer and not _is_loopback_peer(peer):
        return webob_exc.HTTPForbidden(detail=NOT_LOOPBACK_PEER)
    host = environ.get('HTTP_HOST')
    if host is None:
        host = environ.get('SERVER_NAME', '')
    if not is_loopback_host(host):
        return webob_exc.HTTPBadRequest(detail=NOT_LOOPBACK_HOST % host)
    method = environ.get('REQUEST_METHOD', 'GET').upper()
    if method in _BODY_METHODS:
        content_type = environ.get('CONTENT_TYPE') or ''
        media_type = content_type.split(';', 1)[0].strip().lower()
        if media_type != JSON and not any(
                environ.get(key) for key in _CALLER_HEADERS):
            return webob_exc.HTTPUnsupportedMediaType(
                detail=NOT_JSON % method)
    return None


def expand_roles(roles):
    """The roles with the ones they imply, in a stable order."""
    result = []
    pending = list(roles)
    while pending:
        role = pending.pop(0)
        if role and role not in result:
            result.append(role)
            pending.extend(_IMPLIED_ROLES.get(role, ()))
    return result


class NoAuthMiddleware:
    """Trusts X-Auth-User / X-Auth-Project / X-Roles. Loopback only.

    :param loopback_only: refuse what noauth_refusal refuses (False with
        allow_noauth_on_any_address).
    """

    def __init__(self, application, loopback_only=True):
        self.application = application
        self.loopback_only = loopback_only

    def __call__(self, environ, start_response):
        if self.loopback_only:
            refusal = noauth_refusal(environ)
            if refusal is not None:
                LOG.warning('noauth refused %s %s from %s: %s',
                            environ.get('REQUEST_METHOD'),
                            environ.get('PATH_INFO'),
                            environ.get('REMOTE_ADDR'), refusal.detail)
                return fault.fault_response(refusal)(environ,
                                                     start_response)
        user = environ.get('HTTP_X_AUTH_USER') or DEFAULT_USER
        project = environ.get('HTTP_X_AUTH_PROJECT') or DEFAULT_PROJECT
        asked = environ.get('HTTP_X_ROLES')
        if asked is not None:
            roles = [r.strip() for r in asked.split(',') if r.strip()]
        else:
            roles = list(DEFAULT_ROLES)
        for key in _IDENTITY_KEYS:
            environ.pop(key, None)
        environ.update({
            'HTTP_X_IDENTITY_STATUS': 'Confirmed',
            'HTTP_X_USER_ID': user,
            'HTTP_X_USER_NAME': user,
            'HTTP_X_USER_DOMAIN_ID': 'default',
            'HTTP_X_USER_DOMAIN_NAME': 'Default',
            'HTTP_X_PROJECT_ID': project,
            'HTTP_X_PROJECT_NAME': project,
            'HTTP_X_PROJECT_DOMAIN_ID': 'default',
            'HTTP_X_PROJECT_DOMAIN_NAME': 'Default',
            'HTTP_X_ROLES': ','.join(expand_roles(roles)),
            'HTTP_X_IS_ADMIN_PROJECT': 'True',
        })
        return self.application(environ, start_response)


class HeatAPIIdentity:
    """The caller heat-api authenticated, from heat-api's request context.

    heat-api's context middleware leaves its RequestContext (an oslo.context
    one) on the request; a client cannot forge it as it could forge
    identity headers that no middleware has checked. Without it the filter
    is misplaced (before heat-api's authentication): 401.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        context = (environ.get('webob.adhoc_attrs') or {}).get('context')
        if context is None or not getattr(context, 'project_id', None):
            LOG.error('auth_strategy = heat_api, but heat-api made no '
                      'request context before the snapshot filter: put the '
                      'filter after heat-api\'s authentication and context '
                      'middleware.')
            error = webob_exc.HTTPUnauthorized(
                detail='This server could not verify that you are '
                       'authorized to access the document you requested.')
            return fault.fault_response(error)(environ, start_response)
        catalog = environ.get('HTTP_X_SERVICE_CATALOG')
        if not isinstance(catalog, str):
            catalog = None
        for key in _IDENTITY_KEYS:
            environ.pop(key, None)
        values = {
            'HTTP_X_IDENTITY_STATUS': 'Confirmed',
            'HTTP_X_USER_ID': context.user_id,
            'HTTP_X_USER_NAME': getattr(context, 'user_name', None) or
            getattr(context, 'username', None) or context.user_id,
            'HTTP_X_USER_DOMAIN_ID': context.user_domain_id,
            'HTTP_X_PROJECT_ID': context.project_id,
            'HTTP_X_PROJECT_NAME': getattr(context, 'project_name', None)
            or context.project_id,
            'HTTP_X_PROJECT_DOMAIN_ID': context.project_domain_id,
            'HTTP_X_ROLES': ','.join(expand_roles(context.roles or ())),
            'HTTP_X_AUTH_TOKEN': context.auth_token,
            # keystonemiddleware's or Heat noauth's, set after it stripped
            # the client's.
            'HTTP_X_SERVICE_CATALOG': catalog,
        }
        environ.update({key: value for key, value in values.items()
                        if value is not None})
        return self.application(environ, start_response)
