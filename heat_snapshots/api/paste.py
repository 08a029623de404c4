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

"""A paste filter that serves the snapshot API inside heat-api.

An operator who wants clients to keep talking to Heat's own endpoint adds
the filter to heat-api's pipeline (api-paste.ini)::

    [filter:snapshots]
    paste.filter_factory = heat_snapshots.api.paste:filter_factory

    [pipeline:heat-api]
    pipeline = cors request_id faultwrap http_proxy_to_wsgi snapshots
               versionnegotiation osprofiler authurl authtoken context
               apiv1app

Snapshot routes (``/v1/{tenant}/stacks/{name}/{id}/snapshots[/...]``) are
then served by our API application (its own authentication, policy and
RPC to our engines, configured in the same heat.conf); every other request
goes down Heat's pipeline untouched. The filter also recognises the routes
after Heat's version negotiation has moved ``/v1`` to SCRIPT_NAME.

``[heat_snapshots_api] auth_strategy``: ``keystone`` (the filter ahead of
``authtoken``, as above, validates the token itself) or ``heat_api`` (the
filter after heat-api's authentication and ``context`` middleware takes
the caller heat-api authenticated). ``noauth`` is refused: heat-api does
not start with it.
"""

import re
import threading

from heat_snapshots.api import app as hs_app
from heat_snapshots.api import auth_check
from heat_snapshots import conf as hs_conf

CONF = hs_conf.CONF

PROG = 'heat-api (heat_snapshots.api.paste filter)'
VERSION = '/v1'
SNAPSHOT_ROUTE = re.compile(
    r'^(?P<version>/v1)?/[^/]+/stacks/[^/]+/[^/]+/snapshots(?:/.*)?$')


class SnapshotRoutes:
    """Sends snapshot routes to ``snapshots``, the rest to ``application``.

    :param snapshots: our WSGI application, or a callable making it on the
        first snapshot request (so heat-api starts even if it cannot be
        made yet).
    """

    def __init__(self, application, snapshots):
        self.application = application
        self._snapshots = snapshots
        self._app = None
        self._lock = threading.Lock()

    @property
    def snapshots(self):
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._snapshots()
        return self._app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        match = SNAPSHOT_ROUTE.match(path)
        if match is None:
            return self.application(environ, start_response)
        if match.group('version') is None:
            # Heat's version negotiation moved /v1 to SCRIPT_NAME; our
            # application routes on the full path.
            script_name = environ.get('SCRIPT_NAME', '')
            if not script_name.endswith(VERSION):
                return self.application(environ, start_response)
            environ = dict(environ,
                           SCRIPT_NAME=script_name[:-len(VERSION)],
                           PATH_INFO=VERSION + path)
        return self.snapshots(environ, start_response)


def filter_factory(global_conf, **local_conf):
    """The paste.deploy filter factory (``paste.filter_factory``).

    :raises: RuntimeError, so that heat-api does not start, for an auth
        set-up the filter must not serve with (noauth above all).
    """
    problem = auth_check.startup_problem(CONF, PROG, auth_check.FILTER)
    if problem:
        raise RuntimeError(problem)

    def snapshots_filter(application):
        return SnapshotRoutes(application, lambda: hs_app.setup_app(CONF))
    return snapshots_filter
