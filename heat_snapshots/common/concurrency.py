"""Native threads everywhere: oslo.service's threading backend.

oslo.service picks its backend the first time something imports
``oslo_service.service`` (oslo.messaging does, on import), and its default
is eventlet. Each process of ours therefore selects the threading backend
before it imports anything else (``heat_snapshots.cmd``, ``.wsgi`` and the
tests do it in their ``__init__``); nothing is monkey patched.
"""

import warnings

from oslo_log import log as logging
from oslo_service import backend

LOG = logging.getLogger(__name__)


def init():
    """Select the threading backend, unless another one already runs.

    Inside another service's process (a Heat that loads our paste filter)
    the host's choice stands.
    """
    # futurist imports eventlet when it is installed (oslo.service depends
    # on it) only to learn whether it could use it, and eventlet warns of
    # its deprecation on import. Nothing of ours runs on eventlet.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated',
                            module=r'futurist\.')
    selected = backend.get_backend_type()
    if selected is None:
        backend.init_backend(backend.BackendType.THREADING)
    elif selected != backend.BackendType.THREADING:
        LOG.warning('oslo.service backend %s was selected before ours; '
                    'keeping it', selected.value)
