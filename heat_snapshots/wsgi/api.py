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
    if CONF.heat_snapshots_api.auth_strategy == app.NOAUTH:
        # The web server, not bind_host, decides who can connect.
        LOG.warning('auth_strategy = noauth: make sure only trusted '
                    'callers can reach this web server.')
    else:
        problem = auth_check.keystone_problem(CONF, PROG)
        if problem:
            raise RuntimeError(problem)
    return app.setup_app(CONF)


application = init_application()
