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

"""Process start-up shared by the commands."""

import gc
import logging
import os
from unittest import mock

import fixtures
from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade

from heat_snapshots.common import service
from heat_snapshots.conf import database
from heat_snapshots.conf import engine
from heat_snapshots.conf import paths
from heat_snapshots.db import api as db_api
from heat_snapshots.tests import base


class PrepareServiceTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # Process-wide state prepare_service sets: restored afterwards.
        root = logging.getLogger()
        self.addCleanup(setattr, root, 'handlers', list(root.handlers))
        self.addCleanup(root.setLevel, root.level)
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.db.api._CONFIGURED', False))
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.db.api.main_context_manager',
            enginefacade.transaction_context()))

    def test_reads_the_config_file_and_points_the_database_at_it(self):
        db_path = os.path.join(self.state_path, 'sub', 'hs.sqlite')
        path = os.path.join(self.state_path, 'heat.conf')
        with open(path, 'w') as f:
            f.write('[database]\nconnection = sqlite:///%s\n'
                    '[heat_snapshots]\nworkers = 3\n' % db_path)
        # A configuration of its own: the global one is parsed already.
        conf = cfg.ConfigOpts()
        for module in (database, engine, paths):
            module.register_opts(conf)
        service.prepare_service(['/usr/bin/heat-snapshots-engine',
                                 '--config-file', path], conf=conf)
        self.assertEqual(3, conf.heat_snapshots.workers)
        self.assertEqual('heat-snapshots-engine', conf.prog)
        db_engine = db_api.get_engine()
        self.addCleanup(db_engine.dispose)
        self.assertEqual(db_path, db_engine.url.database)
        # The SQLite file's directory is made for it.
        self.assertTrue(os.path.isdir(os.path.dirname(db_path)))


class _Service:
    def __init__(self):
        self.calls = []

    def start(self):
        self.calls.append('start')

    def stop(self):
        self.calls.append('stop')

    def wait(self):
        self.calls.append('wait')


class PerProcessTest(base.TestCase):

    def test_built_in_the_worker_when_it_starts(self):
        built = []

        def make():
            built.append(_Service())
            return built[-1]
        per_process = service.PerProcess(make)
        # Stopping a worker that never started is fine.
        per_process.stop()
        per_process.wait()
        self.assertEqual([], built)
        per_process.start()
        per_process.stop()
        per_process.wait()
        self.assertEqual(['start', 'stop', 'wait'], built[0].calls)


class NoForkNoticeTest(base.TestCase):

    def record(self, message):
        return logging.LogRecord('oslo_service.service', logging.WARNING,
                                 __file__, 1, message, None, None)

    def test_drops_only_the_no_fork_notice(self):
        notice = service._NoForkNotice()
        self.assertFalse(notice.filter(self.record(
            'no_fork=True: running service in main process')))
        self.assertTrue(notice.filter(self.record(
            'Caught SIGTERM, stopping children')))


class SettleHeapTest(base.TestCase):

    def test_what_is_loaded_before_the_service_runs_is_left_out(self):
        # serve() settles the heap before the launcher starts the service:
        # full collections then pass over the objects made after only.
        seen = []
        self.addCleanup(gc.unfreeze)
        launcher = mock.Mock()
        launcher.launch_service.side_effect = (
            lambda *args, **kwargs: seen.append(gc.get_freeze_count()))
        loaded = [[] for _ in range(1000)]
        with mock.patch.object(service.service, 'ProcessLauncher',
                               return_value=launcher):
            service.serve(mock.Mock(), workers=1)
        self.assertGreater(seen[0], len(loaded))
        scanned = {id(o) for o in gc.get_objects()}
        self.assertNotIn(id(loaded), scanned)
        self.assertNotIn(id(loaded[0]), scanned)
        made_after = []
        self.assertIn(id(made_after), {id(o) for o in gc.get_objects()})
