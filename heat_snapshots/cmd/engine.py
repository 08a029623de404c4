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

"""heat-snapshots-engine: the RPC server that does the work."""

import sys

from oslo_log import log as logging

from heat_snapshots.common import rpc
from heat_snapshots.common import service
from heat_snapshots import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def main(argv=None):
    service.prepare_service(argv)
    if rpc.is_in_process(CONF):
        sys.exit('heat-snapshots-engine needs a message broker: set '
                 '[DEFAULT] transport_url in heat.conf (Heat\'s own '
                 'RabbitMQ works), or run heat-snapshots-all, which holds '
                 'the API and the engine in one process.')

    def make_service():
        # Imported here so that each worker builds its own connections.
        from heat_snapshots.engine import service as engine_service
        return engine_service.EngineService(CONF)

    service.serve(service.PerProcess(make_service),
                  workers=CONF.heat_snapshots.workers)


if __name__ == '__main__':
    main()
