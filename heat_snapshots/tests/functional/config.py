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

"""What the functional tests run against, from environment variables.

``HS_FUNCTIONAL_ENDPOINT``
    ``http://host:port`` of a running heat-snapshots API. Unset: the tests
    start the services themselves, once per test process, for each
    deployment of ``HS_FUNCTIONAL_DEPLOYMENTS``.
``HS_FUNCTIONAL_AUTH``
    ``noauth`` (default: identities in X-Auth-User / X-Auth-Project /
    X-Roles) or ``keystone`` (``OS_AUTH_URL``, ``OS_USERNAME``,
    ``OS_PASSWORD``, ``OS_PROJECT_NAME``, ``OS_USER_DOMAIN_NAME``,
    ``OS_PROJECT_DOMAIN_NAME``; a second project's user in the same
    variables with ``OS_ALT_`` instead of ``OS_``, an admin with
    ``OS_ADMIN_``; tests needing a missing one skip).
``HS_FUNCTIONAL_DEPLOYMENTS``
    Comma list of ``embedded``, ``mysql``, ``postgresql`` (the default is
    all three).
``HS_FUNCTIONAL_MYSQL_URL``, ``HS_FUNCTIONAL_POSTGRESQL_URL``,
``HS_FUNCTIONAL_TRANSPORT_URL``
    The servers the mysql and postgresql deployments use; each deployment
    creates its own database and RPC topic on them.
``HS_FUNCTIONAL_TIMEOUT``
    Seconds a waiter waits for a status (default 120).
``HS_FUNCTIONAL_MAX_SNAPSHOTS``
    ``max_snapshots_per_stack`` of an external endpoint (the started
    deployments use 3); unset, the limit test skips for an endpoint.
``HS_FUNCTIONAL_KEEP``
    Keep the started deployments' directories (configuration, logs).
``CI``
    ``true``: a deployment whose database or broker is not reachable
    fails its tests instead of skipping them.
"""

import os

EMBEDDED = 'embedded'
MYSQL = 'mysql'
POSTGRESQL = 'postgresql'
EXTERNAL = 'external'
ALL_DEPLOYMENTS = (EMBEDDED, MYSQL, POSTGRESQL)

NOAUTH = 'noauth'
KEYSTONE = 'keystone'

# The started deployments' max_snapshots_per_stack: small, so that
# reaching it is quick.
DEPLOYMENT_MAX_SNAPSHOTS = 3


def _env(name, default=None):
    value = os.environ.get(name, '').strip()
    return value or default


def endpoint():
    value = _env('HS_FUNCTIONAL_ENDPOINT')
    return value.rstrip('/') if value else None


def auth():
    value = _env('HS_FUNCTIONAL_AUTH', NOAUTH).lower()
    if value not in (NOAUTH, KEYSTONE):
        raise ValueError('HS_FUNCTIONAL_AUTH must be noauth or keystone, '
                         'not %r' % value)
    return value


def deployments():
    """The deployments to run every scenario against."""
    if endpoint():
        return [EXTERNAL]
    names = [n.strip().lower() for n in
             _env('HS_FUNCTIONAL_DEPLOYMENTS', ','.join(ALL_DEPLOYMENTS))
             .split(',') if n.strip()]
    unknown = sorted(set(names) - set(ALL_DEPLOYMENTS))
    if unknown:
        raise ValueError('HS_FUNCTIONAL_DEPLOYMENTS: unknown deployment(s) '
                         '%s; known: %s' % (', '.join(unknown),
                                            ', '.join(ALL_DEPLOYMENTS)))
    # Keep the order given, once each.
    return list(dict.fromkeys(names))


def mysql_url():
    return _env('HS_FUNCTIONAL_MYSQL_URL',
                'mysql+pymysql://root@127.0.0.1:3306')


def postgresql_url():
    return _env('HS_FUNCTIONAL_POSTGRESQL_URL',
                'postgresql+psycopg2://postgres@127.0.0.1:5432')


def transport_url():
    return _env('HS_FUNCTIONAL_TRANSPORT_URL',
                'rabbit://guest:guest@127.0.0.1:5672/')


def timeout():
    return float(_env('HS_FUNCTIONAL_TIMEOUT', '120'))


def max_snapshots():
    """The per-stack limit of the service under test, or None."""
    if endpoint():
        value = _env('HS_FUNCTIONAL_MAX_SNAPSHOTS')
        return int(value) if value else None
    return DEPLOYMENT_MAX_SNAPSHOTS


def keep():
    return _env('HS_FUNCTIONAL_KEEP', '').lower() in ('1', 'true', 'yes')


def in_ci():
    return _env('CI', '').lower() in ('1', 'true', 'yes')
