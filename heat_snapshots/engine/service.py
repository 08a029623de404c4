"""The engine service: the RPC server around EngineManager."""

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging

from heat_snapshots.common import rpc
from heat_snapshots.engine import heat_listener
from heat_snapshots.engine import manager as engine_manager

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class EngineService:
    """One engine: the RPC server, the manager and its background work.

    ``start()`` returns at once; ``stop()`` stops taking requests, lets the
    operations in progress finish or hand them over, and returns.
    """

    def __init__(self, conf=CONF):
        self.conf = conf
        self.manager = engine_manager.EngineManager(conf)
        target = messaging.Target(topic=conf.heat_snapshots.topic,
                                  server=self.manager.engine_id,
                                  version=engine_manager.RPC_API_VERSION)
        self.server = rpc.get_server(target, [self.manager])
        # With stacks in Heat, their snapshots follow Heat's deletes.
        self.heat_listener = None
        if conf.heat_snapshots.stack_driver == 'heat':
            self.heat_listener = heat_listener.HeatListener(conf,
                                                            self.manager)

    def start(self):
        self.manager.start()
        self.server.start()
        if self.heat_listener is not None:
            self.heat_listener.start()
        LOG.info('Engine %s listening on topic %s',
                 self.manager.engine_id, self.conf.heat_snapshots.topic)

    def stop(self, graceful=True):
        if self.heat_listener is not None:
            self.heat_listener.stop()
        self.server.stop()
        if graceful:
            self.server.wait()
        self.manager.stop()
        LOG.info('Engine %s stopped', self.manager.engine_id)
