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

"""Process start-up shared by every command."""

import gc
import logging as logging_std
import sys

from oslo_log import log as logging
from oslo_service import service

from heat_snapshots.common import malloc
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.db import group_commit
from heat_snapshots import version

CONF = conf.CONF
LOG = logging.getLogger(__name__)

_EXTRA_DEFAULT_LOG_LEVELS = ['stevedore=INFO', 'alembic=WARN',
                             'oslo.messaging=INFO', 'oslo_messaging=INFO',
                             'amqp=WARN', 'kombu=WARN', 'pecan=WARN']


def prepare_service(argv=None, conf=CONF):
    """Parse heat.conf and the command line, set up logging and the DB.

    The project is ``heat``, so /etc/heat/heat.conf and /etc/heat/heat.conf.d
    are read when they exist, as Heat reads them.
    """
    if argv is None:
        argv = sys.argv
    logging.register_options(conf)
    logging.set_defaults(default_log_levels=(
        logging.get_default_log_levels() + _EXTRA_DEFAULT_LOG_LEVELS))
    conf(argv[1:], project='heat', prog=argv[0].rsplit('/', 1)[-1],
         version=version.version_info.version_string())
    logging.setup(conf, 'heat-snapshots')
    # Before any thread of the service allocates (see malloc.py).
    malloc.limit_arenas(conf.heat_snapshots.malloc_arena_max)
    db_api.configure(conf)
    group_commit.configure(conf)
    conf.log_opt_values(LOG, logging.DEBUG)


def settle_heap():
    """Keep what is loaded by now (modules, configuration, the service's
    objects: they live as long as the process) out of the garbage
    collector's full passes, which otherwise scan all of it: a pass
    stalled the engine 80 to 130 ms in the middle of a walk (measured, 2
    cores). Forked workers then share these pages instead of each
    writing them (Python's advice for gc.freeze).
    """
    gc.collect()
    gc.freeze()


class PerProcess(service.ServiceBase):
    """A service built by ``make_service()`` in the process that runs it.

    Each forked worker gets its own (an engine its own id, connections and
    threads).
    """

    def __init__(self, make_service):
        self.make_service = make_service
        self.service = None

    def start(self):
        self.service = self.make_service()
        self.service.start()

    def stop(self, graceful=True):
        if self.service is not None:
            self.service.stop()

    def wait(self):
        if self.service is not None:
            self.service.wait()

    def reset(self):
        pass


class _NoForkNotice(logging_std.Filter):
    """Drops oslo.service's warning that no_fork runs in this process.

    Running in this process is our choice with one worker (see serve()), not
    something an operator should act on; the launcher's other messages pass.
    """

    MESSAGE = 'no_fork=True: running service in main process'

    def filter(self, record):
        return record.getMessage() != self.MESSAGE


_NO_FORK_NOTICE = _NoForkNotice()


def serve(svc, workers=1, conf=CONF):
    """Run ``svc`` (a ServiceBase) until SIGTERM, in ``workers`` processes.

    With one worker the service runs in this very process (oslo.service's
    ProcessLauncher without fork): SIGTERM stops it gracefully within
    ``graceful_shutdown_timeout``, and a signal sent to the process's id
    reaches the service itself. With more, oslo.service forks the workers
    and restarts any that dies.
    """
    settle_heap()
    if workers == 1:
        logging_std.getLogger(service.ProcessLauncher.__module__).addFilter(
            _NO_FORK_NOTICE)
        launcher = service.ProcessLauncher(conf, no_fork=True)
    else:
        # Forked, not spawned: the workers share the listening socket.
        launcher = service.ProcessLauncher(conf, start_method='fork')
    try:
        launcher.launch_service(svc, workers=workers)
        launcher.wait()
    finally:
        if workers == 1:
            # Left without SIGTERM (SIGHUP, an error): stop all the same.
            svc.stop()
