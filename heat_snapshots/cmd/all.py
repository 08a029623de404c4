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

"""heat-snapshots-all: the API and an engine in one process.

The zero-setup mode: the in-process RPC transport, a SQLite database that
is migrated on start, and noauth on loopback unless heat.conf says
otherwise.
"""

import gc
import sys
import threading

from oslo_log import log as logging
from oslo_service import service as os_service

from heat_snapshots.api import app
from heat_snapshots.api import server
from heat_snapshots.cmd import api as api_cmd
from heat_snapshots.common import service
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration

CONF = conf.CONF
LOG = logging.getLogger(__name__)


class AllInOne(os_service.ServiceBase):
    """The engine and the API server, started and stopped together.

    The API calls the engine directly (EngineAPI's local calls), not
    through a transport.
    """

    def __init__(self, conf, sock):
        self.conf = conf
        self.sock = sock
        self.engine = None
        self.api = None
        self._stopped = threading.Event()

    def start(self):
        # Imported here: the engine loads its stack driver and plugins.
        from heat_snapshots.engine import service as engine_service
        self.engine = engine_service.EngineService(self.conf, local=True)
        self.engine.start()
        self.api = server.WSGIService(
            lambda: app.setup_app(self.conf), self.sock,
            self.conf.heat_snapshots_api.threads, name='heat-snapshots-all')
        self.api.start()
        # What start-up made lives as long as the process: out of the
        # collector's sight, so that a full collection (which stops every
        # thread, API and engine alike) costs milliseconds, not the 60 to
        # 100 ms a request allocating a large template triggered.
        gc.collect()
        gc.freeze()

    def stop(self, graceful=True):
        # Requests first, so none reaches an engine that has gone.
        if self.api is not None:
            self.api.stop()
        if self.engine is not None:
            self.engine.stop()
        self._stopped.set()

    def wait(self):
        self._stopped.wait()

    def reset(self):
        pass


def upgrade_sqlite(conf):
    """Bring a SQLite database to the newest schema; others are left alone.

    An operator migrates a shared MySQL or PostgreSQL database with
    heat-snapshots-manage db sync; a private SQLite file needs no operator.
    """
    if conf.database.connection.startswith('sqlite'):
        LOG.info('Upgrading the SQLite database to the newest schema')
        migration.upgrade(engine=db_api.get_engine())


def main(argv=None):
    argv = argv or sys.argv
    # The embedded default; heat.conf or the command line still win.
    CONF.set_default('auth_strategy', app.NOAUTH,
                     group='heat_snapshots_api')
    service.prepare_service(argv)
    problem = api_cmd.check_auth(CONF, 'heat-snapshots-all')
    if problem:
        sys.exit(problem)
    upgrade_sqlite(CONF)
    sock = server.listen(CONF.heat_snapshots_api.bind_host,
                         CONF.heat_snapshots_api.bind_port)
    try:
        # One process: the engine is called in it.
        service.serve(AllInOne(CONF, sock), workers=1)
    finally:
        sock.close()


if __name__ == '__main__':
    main()
