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

"""The WSGI application: the pecan app inside its middleware."""

from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
from oslo_middleware import sizelimit
import pecan

from heat_snapshots.api import auth
from heat_snapshots.api import auth_check
from heat_snapshots.api.controllers import root
from heat_snapshots.api import fault
from heat_snapshots.api import hooks
from heat_snapshots.api import reads
from heat_snapshots import conf as hs_conf

CONF = hs_conf.CONF

KEYSTONE = auth_check.KEYSTONE
NOAUTH = auth_check.NOAUTH
HEAT_API = auth_check.HEAT_API
HEALTHCHECK_PATH = '/healthcheck'

_CORS_ALLOW_HEADERS = ['X-Auth-Token', 'X-Identity-Status', 'X-Roles',
                       'X-Service-Catalog', 'X-User-Id', 'X-Tenant-Id',
                       'X-OpenStack-Request-Id', 'X-Auth-User',
                       'X-Auth-Project']
_CORS_EXPOSE_HEADERS = ['X-Auth-Token', 'X-Subject-Token',
                        'X-Service-Token', 'X-OpenStack-Request-Id']
_CORS_ALLOW_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH']


def set_cors_defaults():
    cors.set_defaults(allow_headers=_CORS_ALLOW_HEADERS,
                      expose_headers=_CORS_EXPOSE_HEADERS,
                      allow_methods=_CORS_ALLOW_METHODS)


class _UnauthenticatedVersions:
    """Sends GET / (the version list) around authentication, as Heat does.

    Clients discover the API before they hold a token.
    """

    def __init__(self, authenticated, unauthenticated):
        self.authenticated = authenticated
        self.unauthenticated = unauthenticated

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in ('', '/'):
            return self.unauthenticated(environ, start_response)
        return self.authenticated(environ, start_response)


class _Mount:
    """Sends one path to ``mounted``, every other path to ``application``.

    oslo.middleware's Healthcheck answers whatever reaches it; it expects
    to be mounted on its path (paste's urlmap elsewhere).
    """

    def __init__(self, path, mounted, application):
        self.path = path
        self.mounted = mounted
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') == self.path:
            return self.mounted(environ, start_response)
        return self.application(environ, start_response)


def _auth(app, conf):
    strategy = conf.heat_snapshots_api.auth_strategy
    if strategy == NOAUTH:
        authenticated = auth.NoAuthMiddleware(
            app, loopback_only=not
            conf.heat_snapshots_api.allow_noauth_on_any_address)
    elif strategy == HEAT_API:
        authenticated = auth.HeatAPIIdentity(app)
    else:
        # Imported only here: keystonemiddleware and what it alone imports
        # are about 110 modules and 3 MB that a noauth API never uses.
        from keystonemiddleware import auth_token
        authenticated = auth_token.AuthProtocol(
            app, {'oslo_config_config': conf})
    return _UnauthenticatedVersions(authenticated, app)


def setup_app(conf=CONF, engine_api=None):
    """The API as a WSGI application.

    :param engine_api: an EngineAPI to use instead of making one.
    """
    set_cors_defaults()
    rpc_hook = hooks.RPCHook(engine_api)
    app = pecan.make_app(
        root.RootController(),
        hooks=[hooks.ContextHook(), rpc_hook, fault.FaultHook()],
        debug=False,
        # Stack names may contain dots; "my.stack" is not a file type.
        guess_content_type_from_ext=False,
        # Heat does not redirect /path to /path/.
        force_canonical=False,
    )

    # The middleware, innermost first: a request passes them bottom-up.
    #
    # reads: snapshot show and list without pecan's routing, with the
    #   same hooks' work and the same answers; the rest goes to pecan.
    app = reads.SnapshotReads(app, rpc_hook)
    # auth: keystonemiddleware auth_token, or noauth (loopback setups); it
    #   sets the identity keys ContextHook reads. GET / skips it.
    app = _auth(app, conf)
    # healthcheck: /healthcheck for load balancers, with no token.
    app = _Mount(HEALTHCHECK_PATH, healthcheck.Healthcheck(app, conf), app)
    # cors: browsers (Horizon-like UIs) on other origins.
    app = cors.CORS(app, conf)
    # http_proxy_to_wsgi: links and Location use the URL the client used
    #   when behind a TLS-terminating proxy.
    app = http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
    # sizelimit: refuse oversized bodies (413) before anything reads them.
    app = sizelimit.RequestBodySizeLimiter(app, conf)
    # faultwrap: any error page a middleware above made becomes Heat's
    #   JSON fault body, as Heat's own faultwrap does.
    app = fault.FaultWrapper(app)
    # request_id: outermost, so every answer, errors included, carries
    #   X-OpenStack-Request-Id.
    app = request_id.RequestId(app)
    return app
