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

"""Callers of the API: python-heatclient and plain HTTP for one identity.

With noauth an identity is three headers (X-Auth-User, X-Auth-Project,
X-Roles) that heatclient sends through its keystoneauth1 adapter; with
keystone it is a keystoneauth1 session from OS_* variables.
"""

import os
import shutil
import subprocess
import sys
import uuid

from heatclient import client as heat_client
from keystoneauth1 import loading
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import requests
from testtools import content

from heat_snapshots.tests.functional import config

HTTP_TIMEOUT = 90

PRIMARY = 'OS_'
ALT = 'OS_ALT_'
ADMIN = 'OS_ADMIN_'


class MissingCredentials(Exception):
    """The keystone credentials a test needs are not configured."""


class Caller:
    """One user of one project.

    ``heat`` is a python-heatclient Client on
    ``<endpoint>/v1/<project_id>``; ``request`` sends plain HTTP with the
    same identity and returns the requests.Response, redirects unfollowed.
    """

    def __init__(self, endpoint, project_id, session, headers=None,
                 token_auth=False):
        self.endpoint = endpoint
        self.project_id = project_id
        self.session = session
        self.headers = dict(headers or {})
        self.token_auth = token_auth
        self.url = '%s/v1/%s' % (endpoint, project_id)
        self.heat = heat_client.Client(
            '1', endpoint=self.url, session=session,
            additional_headers=self.headers)

    def _headers(self, extra=None):
        headers = {'Accept': 'application/json'}
        headers.update(self.headers)
        if self.token_auth:
            headers.update(self.session.get_auth_headers() or {})
        headers.update(extra or {})
        return headers

    def request(self, method, path, body=None, tenant=None, headers=None):
        """``method`` on /v1/<tenant><path>; tenant: the caller's own."""
        url = '%s/v1/%s%s' % (self.endpoint, tenant or self.project_id,
                              path)
        kwargs = {}
        if body is not None:
            kwargs['json'] = body
        return requests.request(method, url, headers=self._headers(headers),
                                allow_redirects=False, timeout=HTTP_TIMEOUT,
                                **kwargs)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request('POST', path, body=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request('DELETE', path, **kwargs)


def noauth_caller(endpoint, project_id=None, user=None, roles='member'):
    """A caller naming itself in headers; a new project unless given."""
    project_id = project_id or 'hsf-%s' % uuid.uuid4().hex[:12]
    url = '%s/v1/%s' % (endpoint, project_id)
    session = ks_session.Session(auth=noauth.NoAuth(endpoint=url))
    return Caller(endpoint, project_id, session, headers={
        'X-Auth-User': user or 'user-%s' % project_id,
        'X-Auth-Project': project_id,
        'X-Roles': roles,
    })


def keystone_caller(endpoint, prefix=PRIMARY):
    """A caller with the credentials of OS_* (or OS_ALT_*, OS_ADMIN_*).

    :raises: MissingCredentials.
    """
    def env(name, default=None):
        return os.environ.get(prefix + name) or default

    if not (env('AUTH_URL') or os.environ.get('OS_AUTH_URL')) or \
            not env('USERNAME') or not env('PASSWORD'):
        raise MissingCredentials('keystone credentials %sUSERNAME and '
                                 '%sPASSWORD are not set' % (prefix, prefix))
    loader = loading.get_plugin_loader('password')
    auth = loader.load_from_options(
        auth_url=env('AUTH_URL') or os.environ['OS_AUTH_URL'],
        username=env('USERNAME'), password=env('PASSWORD'),
        project_name=env('PROJECT_NAME'),
        user_domain_name=env('USER_DOMAIN_NAME', 'Default'),
        project_domain_name=env('PROJECT_DOMAIN_NAME', 'Default'))
    session = ks_session.Session(auth=auth)
    project_id = session.get_project_id()
    return Caller(endpoint, project_id, session, token_auth=True)


def callers(endpoint):
    """(primary, other project, admin of the primary's project) factories.

    Each is a function returning a Caller; with keystone, a missing
    identity raises MissingCredentials when it is asked for.
    """
    if config.auth() == config.KEYSTONE:
        return (lambda: keystone_caller(endpoint, PRIMARY),
                lambda: keystone_caller(endpoint, ALT),
                lambda: keystone_caller(endpoint, ADMIN))
    primary = {}

    def first():
        primary['caller'] = noauth_caller(endpoint)
        return primary['caller']

    def admin():
        # Same project as the primary caller, with the admin role.
        project_id = primary['caller'].project_id
        return noauth_caller(endpoint, project_id,
                             user='admin-%s' % project_id, roles='admin')

    return first, lambda: noauth_caller(endpoint), admin


# The project of a noauth caller that names none (heat-snapshots-all's
# default admin), as the ``openstack`` CLI with ``--os-auth-type none`` is.
CLI_NOAUTH_PROJECT = 'admin'


def openstack_command():
    """The ``openstack`` command beside this Python, else on PATH; None
    when it is not installed.
    """
    path = os.path.join(os.path.dirname(sys.executable), 'openstack')
    if os.access(path, os.X_OK):
        return path
    return shutil.which('openstack')


def run_openstack(test, command, endpoint, args, timeout, cwd=None,
                  options=()):
    """``<command> --os-auth-type none --os-endpoint <endpoint> [options]
    <args>``, with none of the caller's ``OS_*`` variables; its output
    becomes a detail of ``test``.

    :returns: the CompletedProcess (see check_exit).
    """
    argv = [command, '--os-auth-type', 'none', '--os-endpoint',
            endpoint] + list(options) + list(args)
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True,
                            timeout=timeout, env=env, cwd=cwd)
    test.addDetail('openstack %s' % ' '.join(args), content.text_content(
        'exit %s\n%s\n%s' % (result.returncode, result.stdout,
                             result.stderr)))
    return result


def check_exit(test, args, result, ok=True):
    """``openstack <args>`` (run_openstack's ``result``) succeeded when
    ``ok`` is True, failed when False; None takes either.
    """
    if ok:
        test.assertEqual(0, result.returncode,
                         '%s: %s' % (' '.join(args), result.stderr))
    elif ok is not None:
        test.assertNotEqual(0, result.returncode, result.stdout)
