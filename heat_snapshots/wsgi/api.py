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

"""WSGI entry point for uWSGI or mod_wsgi: ``application``.

For example::

    uwsgi --http-socket 127.0.0.1:8044 --module heat_snapshots.wsgi.api

Configuration is read from heat.conf as every heat-snapshots command
reads it (/etc/heat/heat.conf, /etc/heat/heat.conf.d); the web server's own
command line is not ours to parse.

The web server, not ``bind_host``, decides where the API listens, and the
application cannot see its socket: ``auth_strategy = noauth`` is refused
here unless ``[heat_snapshots_api] allow_noauth_wsgi`` says the web server
listens on loopback only (auth_check.startup_problem).
"""

from oslo_log import log as logging

from heat_snapshots.api import app
from heat_snapshots.api import auth_check
from heat_snapshots.cmd import api as api_cmd
from heat_snapshots.common import rpc
from heat_snapshots.common import service
from heat_snapshots import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)

PROG = 'heat-snapshots-api'


def init_application():
    service.prepare_service([PROG])
    if rpc.is_in_process(CONF):
        raise RuntimeError(api_cmd.IN_PROCESS_TRANSPORT)
    problem = auth_check.startup_problem(CONF, PROG, auth_check.WSGI)
    if problem:
        raise RuntimeError(problem)
    if CONF.heat_snapshots_api.auth_strategy == auth_check.NOAUTH:
        LOG.warning('auth_strategy = noauth with allow_noauth_wsgi: make '
                    'sure the web server listens on loopback only.')
    return app.setup_app(CONF)


application = init_application()
