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

import os
import platform
import subprocess
import sys
import textwrap

from heat_snapshots.tests import base

# A process that limits its arenas as a service does (most given as
# argv[1]), then has threads allocate, and prints glibc's malloc_stats
# (an "Arena N:" block per arena) to its stderr.
PROCESS = textwrap.dedent('''
    import ctypes, sys, threading
    from heat_snapshots.common import malloc
    print(malloc.limit_arenas(int(sys.argv[1])))
    barrier = threading.Barrier(6)
    def allocate():
        barrier.wait()
        kept = [bytearray(64 * 1024) for _ in range(20)]
        barrier.wait()
    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ctypes.CDLL(None).malloc_stats()
''')


class LimitArenasTest(base.TestCase):

    def setUp(self):
        super().setUp()
        if platform.libc_ver()[0] != 'glibc':
            self.skipTest('glibc needed: this C library has no arenas '
                          'to limit')

    def arenas(self, most, **environment):
        env = {key: value for key, value in os.environ.items()
               if key != 'MALLOC_ARENA_MAX'}
        env.update(environment)
        result = subprocess.run([sys.executable, '-c', PROCESS, str(most)],
                                capture_output=True, text=True, env=env,
                                timeout=60, check=True)
        return (result.stdout.strip(),
                sum(1 for line in result.stderr.splitlines()
                    if line.startswith('Arena ')))

    def test_threads_share_the_arenas_allowed(self):
        self.assertEqual(('True', 2), self.arenas(2))

    def test_zero_leaves_glibcs_default(self):
        limited, arenas = self.arenas(0)
        self.assertEqual('False', limited)
        # The main thread's arena and one for each allocating thread.
        self.assertGreater(arenas, 2)

    def test_the_environment_wins(self):
        self.assertEqual(('False', 3), self.arenas(2, MALLOC_ARENA_MAX='3'))
