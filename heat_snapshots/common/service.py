"""Process start-up shared by every command."""

import sys

from oslo_log import log as logging

from heat_snapshots import conf
from heat_snapshots.db import api as db_api
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
    db_api.configure(conf)
    conf.log_opt_values(LOG, logging.DEBUG)
