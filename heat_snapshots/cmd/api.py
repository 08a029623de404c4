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

IN_PROCESS_TRANSPORT = (
    'heat-snapshots-api needs a message broker to reach the engines: set '
    '[DEFAULT] transport_url in heat.conf (Heat\'s own RabbitMQ works), or '
    'run heat-snapshots-all, which holds the API and the engine in one '
    'process.')


def check_auth(conf, prog):
    """The reason not to start with this auth set-up, or None."""
    problem = auth_check.startup_problem(conf, prog, auth_check.SERVER)
    if problem is None and \
            conf.heat_snapshots_api.auth_strategy == auth_check.NOAUTH:
        LOG.warning('auth_strategy = noauth: callers are trusted to name '
                    'their own user, project and roles.')
    return problem


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
