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

"""The limit of glibc's malloc arenas a service sets at its start.

glibc gives each thread that allocates an arena of its own, up to eight
per core, and an arena keeps what it once held: a service whose walk,
RPC and group-commit threads each write large rows in turn grows by the
high-water mark of every one of them. A few arenas shared by the threads
keep the RSS near what is in use; the threads mostly hold the GIL while
they allocate, so they seldom wait for each other's arena.
"""

import ctypes
import ctypes.util
import os
import platform

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# mallopt()'s parameter for the most arenas (glibc's malloc.h).
M_ARENA_MAX = -8

# glibc's own setting, which an operator's wins over ours.
ENVIRONMENT = 'MALLOC_ARENA_MAX'


def limit_arenas(most):
    """Have glibc's malloc make at most ``most`` arenas from now on.

    Called before the service starts its threads: an arena made before is
    kept. Nothing is done for ``most`` 0, with ``MALLOC_ARENA_MAX`` in the
    environment (glibc read it), or on another C library.

    :returns: whether the limit was set.
    """
    if not most or ENVIRONMENT in os.environ:
        return False
    if platform.libc_ver()[0] != 'glibc':
        LOG.debug('Not glibc: malloc_arena_max is not applied')
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        done = libc.mallopt(M_ARENA_MAX, most)
    except (OSError, AttributeError) as error:
        LOG.warning('Could not limit malloc arenas to %d: %s', most, error)
        return False
    if not done:
        LOG.warning('glibc refused to limit malloc arenas to %d', most)
        return False
    LOG.debug('malloc arenas limited to %d', most)
    return True
