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

"""The whole API over WSGI, with a real engine in the test's process.

Requests go through every middleware, pecan, EngineAPI (calling the
engine directly, as over RPC) and EngineManager to the test's SQLite
database, as in heat-snapshots-all. Without an engine, EngineAPI's calls
go to oslo.messaging's fake transport, where nobody answers.
"""

import fixtures
from oslo_config import fixture as config_fixture
import webtest

from heat_snapshots.api import app
from heat_snapshots.common import rpc
from heat_snapshots import conf
from heat_snapshots.engine import service
from heat_snapshots.tests import engine_fixture

CONF = conf.CONF

PROJECT = 'project-a'
USER = 'user-a'


class API(fixtures.Fixture):
    """A webtest TestApp of setup_app() and, unless told not to, an engine.

    Needs the database of heat_snapshots.tests.base.TestCase (use_db).
    """

    def __init__(self, auth_strategy='noauth', start_engine=True,
                 rpc_timeout=10):
        super().__init__()
        self.auth_strategy = auth_strategy
        self.start_engine = start_engine
        self.rpc_timeout = rpc_timeout

    def _setUp(self):
        conf_fixture = self.useFixture(config_fixture.Config(CONF))
        conf_fixture.config(transport_url='fake:/',
                            rpc_response_timeout=self.rpc_timeout)
        conf_fixture.config(auth_strategy=self.auth_strategy,
                            group='heat_snapshots_api')
        self.addCleanup(rpc.cleanup)
        if self.start_engine:
            # As in heat-snapshots-all: the API calls the engine directly.
            self.engine = service.EngineService(CONF, local=True)
            self.engine.start()
            self.addCleanup(self.engine.stop)
        self.app = webtest.TestApp(app.setup_app(CONF))


def headers(project=PROJECT, user=USER, roles=None, **extra):
    """noauth identity headers of a caller."""
    result = {'X-Auth-User': user, 'X-Auth-Project': project}
    if roles is not None:
        result['X-Roles'] = ','.join(roles)
    result.update(extra)
    return result


# One waiter for every test package.
wait_for = engine_fixture.wait_for
