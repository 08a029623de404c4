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

"""Native threads everywhere: oslo.service's threading backend.

oslo.service picks its backend the first time something imports
``oslo_service.service`` (oslo.messaging does, on import), and its default
is eventlet. Each process of ours therefore selects the threading backend
before it imports anything else (``heat_snapshots.cmd``, ``.wsgi`` and the
tests do it in their ``__init__``); nothing is monkey patched.
"""

import os
import warnings

from oslo_log import log as logging
from oslo_service import backend

LOG = logging.getLogger(__name__)

# Read by eventlet when it is imported.
NO_GREENDNS = 'EVENTLET_NO_GREENDNS'


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
        # The eventlet futurist imports would import dnspython and a
        # patched copy of it for its green resolver (some 260 modules,
        # 8 to 14 MB a process; see benchmarks/README.rst) unless told
        # not to. Nothing of ours runs on eventlet, so nothing would use
        # it; an operator's own setting of the variable stands.
        os.environ.setdefault(NO_GREENDNS, 'yes')
        backend.init_backend(backend.BackendType.THREADING)
    elif selected != backend.BackendType.THREADING:
        LOG.warning('oslo.service backend %s was selected before ours; '
                    'keeping it', selected.value)
