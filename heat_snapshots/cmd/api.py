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

"""heat-snapshots-api: the REST API, talking to engines over RPC."""

import sys

from oslo_log import log as logging

from heat_snapshots.api import app
from heat_snapshots.api import auth_check
from heat_snapshots.api import server
from heat_snapshots.common import rpc
from heat_snapshots.common import service
from heat_snapshots import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)

NOAUTH_ANY_ADDRESS = (
    '%(prog)s: auth_strategy = noauth lets anyone who reaches the port act '
    'as any project, and bind_host %(host)s is not a loopback address. Set '
    '[heat_snapshots_api] bind_host = 127.0.0.1, or auth_strategy = '
    'keystone, or (isolated test networks only) '
    'allow_noauth_on_any_address = true.')

IN_PROCESS_TRANSPORT = (
    'heat-snapshots-api needs a message broker to reach the engines: set '
    '[DEFAULT] transport_url in heat.conf (Heat\'s own RabbitMQ works), or '
    'run heat-snapshots-all, which holds the API and the engine in one '
    'process.')


def check_auth(conf, prog):
    """The reason not to start with this auth set-up, or None."""
    api = conf.heat_snapshots_api
    if (api.auth_strategy == app.NOAUTH
            and not api.allow_noauth_on_any_address
            and not server.is_loopback(api.bind_host)):
        return NOAUTH_ANY_ADDRESS % {'prog': prog, 'host': api.bind_host}
    if api.auth_strategy == app.NOAUTH:
        LOG.warning('auth_strategy = noauth: callers are trusted to name '
                    'their own user, project and roles.')
        return None
    return auth_check.keystone_problem(conf, prog)


def serve(conf, make_app, workers, name):
    """Serve ``make_app()`` until SIGTERM or SIGINT."""
    api = conf.heat_snapshots_api
    sock = server.listen(api.bind_host, api.bind_port)
    try:
        service.serve(server.WSGIService(make_app, sock, api.threads,
                                         name=name),
                      workers=workers)
    finally:
        sock.close()


def main(argv=None):
    argv = argv or sys.argv
    service.prepare_service(argv)
    if rpc.is_in_process(CONF):
        sys.exit(IN_PROCESS_TRANSPORT)
    problem = check_auth(CONF, 'heat-snapshots-api')
    if problem:
        sys.exit(problem)
    serve(CONF, lambda: app.setup_app(CONF),
          CONF.heat_snapshots_api.workers, 'heat-snapshots-api')


if __name__ == '__main__':
    main()
