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

"""The noauth middleware: identity from request headers, no token.

As Heat's noauth pipeline, the caller names itself with ``X-Auth-User`` and
``X-Auth-Project`` (both default to ``admin``). Unlike Heat, the roles come
from ``X-Roles`` when given and are otherwise ``member, reader``, so that a
noauth caller is an ordinary project member unless it asks to be an admin.
The middleware sets the environ keys keystonemiddleware sets, so the rest
of the API cannot tell the two apart.
"""

from oslo_log import log as logging

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
    """Trusts X-Auth-User / X-Auth-Project / X-Roles. Loopback only."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
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
