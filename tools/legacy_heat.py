#!/usr/bin/env python3
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

"""Run a real Heat on its legacy engine for ``benchmarks --compare-heat``.

The Heat the functional tests start (heat_fixture.Heat: Heat from PyPI in
a cached virtualenv, one heat-engine and heat-wsgi-api, noauth, on the
same MariaDB and RabbitMQ), with ``convergence_engine = false`` (the
faster of Heat's two engines for these stacks) and no limit on a stack's
resources (``max_resources_per_stack = -1``; Heat's default is 1000).
Prints the URL to give the benchmarks, then runs until interrupted, when
it stops Heat and drops its database:

    PYTHONPATH=. python tools/legacy_heat.py
"""

import signal
import sys
import threading

from heat_snapshots.tests.functional import heat_fixture

DEFAULTS = {'convergence_engine': 'false', 'max_resources_per_stack': -1}


def main():
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    venv = heat_fixture.Virtualenv()
    venv.ensure()
    heat = heat_fixture.Heat(venv, defaults=DEFAULTS)
    try:
        heat.start()
        print('Heat (legacy engine) at %s, files in %s' % (heat.endpoint,
                                                           heat.dir))
        print('python -m benchmarks --compare-heat %s ...' % heat.endpoint,
              flush=True)
        stop.wait()
    finally:
        heat.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
