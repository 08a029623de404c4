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

"""The engine service: the RPC server around EngineManager and, with a
stack driver that manages stacks, the driver's stack endpoint."""

import threading

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_service import service

from heat_snapshots.common import rpc
from heat_snapshots.engine import heat_listener
from heat_snapshots.engine import manager as engine_manager
from heat_snapshots.engine.stacks import base as stacks_base

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class EngineService(service.ServiceBase):
    """One engine: the RPC server, the manager and its background work.

    ``start()`` returns at once; ``stop()`` stops taking requests, lets the
    operations in progress finish or hand them over, and returns.

    :param local: the API of this process calls the manager directly
        (heat-snapshots-all); with the in-process transport no RPC server
        is started, since nothing outside the process could reach it.
    """

    def __init__(self, conf=CONF, local=False):
        self.conf = conf
        self.local = local
        self.manager = engine_manager.EngineManager(conf)
        self.server = None
        if not (local and rpc.is_in_process(conf)):
            target = messaging.Target(topic=conf.heat_snapshots.topic,
                                      server=self.manager.engine_id,
                                      version=engine_manager.RPC_API_VERSION)
            self.server = rpc.get_server(target,
                                         self.manager.rpc_endpoints())
        # Stacks that are deleted outside the engine (in Heat, by any
        # driver that only reads them): their snapshots follow Heat's
        # deletes. A managing driver's deletes pass through the engine.
        self.heat_listener = None
        if not isinstance(self.manager.driver,
                          stacks_base.ManagingStackDriver):
            self.heat_listener = heat_listener.HeatListener(conf,
                                                            self.manager)
            self.manager.add_periodic_source(self.heat_listener)
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()

    def start(self):
        self.manager.start()
        if self.local:
            rpc.set_local_endpoints(self.manager.rpc_endpoints())
        if self.server is not None:
            self.server.start()
        if self.heat_listener is not None:
            self.heat_listener.start()
        if self.server is not None:
            LOG.info('Engine %s listening on topic %s',
                     self.manager.engine_id, self.conf.heat_snapshots.topic)
        else:
            LOG.info('Engine %s serving the API of this process',
                     self.manager.engine_id)

    def stop(self, graceful=True):
        with self._stop_lock:
            if self._stopped.is_set():
                return
            if self.heat_listener is not None:
                self.heat_listener.stop()
            if self.server is not None:
                self.server.stop()
                if graceful:
                    self.server.wait()
            if self.local and self.manager in rpc.get_local_endpoints():
                rpc.set_local_endpoints([])
            self.manager.stop()
            LOG.info('Engine %s stopped', self.manager.engine_id)
            self._stopped.set()

    def wait(self):
        self._stopped.wait()

    def reset(self):
        pass
