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

"""Two engines on one broker share the work, and do each part once."""

import collections
import concurrent.futures
import re

import sqlalchemy as sa

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import config

STACKS = 6
RESOURCE_STARTED = re.compile(
    r'Snapshot (?P<snapshot>\S+): resource (?P<resource>\S+) started on '
    r'host (?P<host>\S+)')
TEMPLATE = base.template({
    'none': {'type': 'OS::Heat::None'},
    'value': {'type': 'OS::Heat::Value', 'properties': {'value': 'v'}},
    'test': {'type': 'OS::Heat::TestResource',
             'properties': {'value': {'get_attr': ['value', 'value']}}},
})


class EnginesTest:

    def _snapshots_of(self, stack, count):
        return [self.snapshot(stack, name='s%d' % n)['id']
                for n in range(count)]

    def test_engines_share_snapshots_and_do_each_once(self):
        engines = getattr(self.deployment, 'engine_processes', None)
        if engines is None or len(engines()) < 2:
            self.skipTest('the %s deployment does not run two engines on a '
                          'broker' % self.deployment.name)
        engines = engines()
        per_stack = config.max_snapshots()
        with concurrent.futures.ThreadPoolExecutor(STACKS) as pool:
            stacks = list(pool.map(lambda n: self.create_stack(TEMPLATE),
                                   range(STACKS)))
            snapshots = [sid for ids in pool.map(
                lambda stack: self._snapshots_of(stack, per_stack), stacks)
                for sid in ids]
        expected = {(sid, name) for sid in snapshots
                    for name in TEMPLATE['resources']}

        # The database: one row per (snapshot, resource), and both engines
        # own snapshots.
        db = sa.create_engine(self.deployment.db_url)
        self.addCleanup(db.dispose)
        with db.connect() as connection:
            rows = connection.execute(sa.text(
                'SELECT snapshot_id, resource_name, status FROM '
                'hs_resource_snapshots')).fetchall()
            owners = dict(connection.execute(sa.text(
                'SELECT id, engine_id FROM hs_snapshots')).fetchall())
        rows = [row for row in rows if row[0] in snapshots]
        self.assertEqual(len(expected), len(rows))
        self.assertEqual(expected, {(row[0], row[1]) for row in rows})
        self.assertEqual({'COMPLETE'}, {row[2] for row in rows})
        engine_ids = {e.name: self.deployment.engine_id(e.name)
                      for e in engines}
        used = collections.Counter(owners[sid] for sid in snapshots)
        self.assertEqual(set(engine_ids.values()), set(used),
                         'snapshots per engine: %s' % dict(used))

        # The logs: each (snapshot, resource) started once, by the engine
        # the database names.
        started = collections.defaultdict(list)
        for engine in engines:
            with open(engine.log_path, errors='replace') as f:
                for match in RESOURCE_STARTED.finditer(f.read()):
                    if match.group('snapshot') in owners:
                        started[(match.group('snapshot'),
                                 match.group('resource'))].append(
                                     engine.name)
        started = {key: names for key, names in started.items()
                   if key[0] in snapshots}
        self.assertEqual(expected, set(started))
        twice = {key: names for key, names in started.items()
                 if len(names) != 1}
        self.assertEqual({}, twice)
        for (sid, _resource), names in started.items():
            self.assertEqual(owners[sid], engine_ids[names[0]])
        self.assertEqual(set(engine_ids),
                         {names[0] for names in started.values()})


base.for_each_deployment(EnginesTest, globals())
