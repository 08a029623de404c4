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

"""The functional tests' worker file (tox -e functional) runs every
functional test module, on one worker only."""

import os
import re

import yaml

from heat_snapshots.tests import base

FUNCTIONAL = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    'functional')
PREFIX = 'heat_snapshots.tests.functional.'


def _modules():
    """The dotted names of the functional test modules on disk."""
    found = []
    for directory, _dirs, files in os.walk(FUNCTIONAL):
        relative = os.path.relpath(directory, FUNCTIONAL)
        package = ('' if relative == '.' else
                   relative.replace(os.sep, '.') + '.')
        found.extend(PREFIX + package + name[:-3] for name in files
                     if name.startswith('test_') and name.endswith('.py'))
    return sorted(found)


class FunctionalWorkersTest(base.TestCase):

    def setUp(self):
        super().setUp()
        with open(os.path.join(FUNCTIONAL, 'workers.yaml')) as f:
            self.workers = [worker['worker'] for worker in yaml.safe_load(f)]

    def test_every_module_runs_on_exactly_one_worker(self):
        modules = _modules()
        self.assertGreater(len(modules), 20)
        for module in modules:
            test_id = module + '.SomeTest.test_something'
            matched = [number for number, filters in enumerate(self.workers)
                       if any(re.search(f, test_id) for f in filters)]
            self.assertEqual(1, len(matched), module)

    def test_the_modules_listed_exist(self):
        listed = re.search(r'\(([\w|]+)\)', self.workers[0][0]).group(1)
        names = {module[len(PREFIX):] for module in _modules()}
        for name in listed.split('|'):
            self.assertIn(name, names)
