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

import datetime
import threading

import fixtures
from futurist import periodics
from oslo_utils import timeutils

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.engine import manager
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef

DEAD = 'dead-engine'


class ManagerTestCase(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context(is_admin=True)
        self.engine = manager.EngineManager(base.CONF)
        self.addCleanup(self.engine.pool.shutdown)

    def heartbeats(self, engine_id=None):
        engine_id = engine_id or self.engine.engine_id
        return [e.heartbeat_at for e in db_api.engine_list(self.ctx)
                if e.id == engine_id]

    def add_dead_engine(self):
        db_api.engine_heartbeat(self.ctx, DEAD, 'elsewhere', 1)
        with db_api.writer.using(self.ctx) as session:
            session.get(models.Engine, DEAD).heartbeat_at = (
                timeutils.utcnow() - datetime.timedelta(hours=1))


class JudgingTest(ManagerTestCase):
    """An engine declares others dead only after its own good heartbeats.

    The heartbeats are written by the test, on a fake monotonic clock.
    """

    def setUp(self):
        super().setUp()
        self.flags(engine_down_time=30, group='heat_snapshots')
        self.clock = [1000.0]
        self.useFixture(fixtures.MockPatch(
            'heat_snapshots.engine.base_manager.time.monotonic',
            side_effect=lambda: self.clock[0]))
        # When recovery was told it may take other engines' work.
        self.recovered = []

        def run(can_judge_others):
            if can_judge_others:
                self.recovered.append(self.clock[0])
        self.useFixture(fixtures.MockPatchObject(
            self.engine._recovery, 'run', side_effect=run))
        self.add_dead_engine()
        self.database_up = True
        real_heartbeat = db_api.engine_heartbeat

        def heartbeat(*args):
            if not self.database_up:
                raise exception.HeatSnapshotsException('database down')
            return real_heartbeat(*args)
        self.useFixture(fixtures.MockPatch(
            'heat_snapshots.db.api.engine_heartbeat', side_effect=heartbeat))

    def run_for(self, seconds, interval=5):
        """Heartbeat and recovery periodics every ``interval`` seconds."""
        for _ in range(int(seconds / interval)):
            self.clock[0] += interval
            self.engine._periodic_heartbeat()
            self.engine._periodic_recover()

    def test_engine_that_starts_waits_engine_down_time(self):
        self.engine._beat()
        self.assertFalse(self.engine.can_judge_others())
        self.assertTrue(self.engine.is_engine_alive(DEAD))
        self.run_for(25)
        self.assertEqual([], self.recovered)
        self.assertTrue(self.engine.is_engine_alive(DEAD))
        self.run_for(10)
        self.assertTrue(self.engine.can_judge_others())
        self.assertFalse(self.engine.is_engine_alive(DEAD))
        self.assertEqual([1030.0, 1035.0], self.recovered)
        # A live one stays alive, and this engine itself.
        db_api.engine_heartbeat(self.ctx, 'other', 'elsewhere', 2)
        self.assertTrue(self.engine.is_engine_alive('other'))
        self.assertTrue(self.engine.is_engine_alive(self.engine.engine_id))

    def test_engine_back_from_a_database_outage_waits_again(self):
        self.engine._beat()
        self.run_for(40)
        self.assertTrue(self.engine.can_judge_others())
        self.database_up = False
        self.run_for(5)
        self.assertFalse(self.engine.can_judge_others())
        self.assertTrue(self.engine.is_engine_alive(DEAD))
        self.database_up = True
        del self.recovered[:]
        self.run_for(25)
        self.assertEqual([], self.recovered)
        self.run_for(10)
        # engine_down_time after the first good heartbeat, at 1050.
        self.assertEqual([1080.0], self.recovered)

    def test_engine_frozen_past_engine_down_time_waits_again(self):
        # SIGSTOP, a VM paused: nothing failed, but the others may have
        # taken this engine for dead meanwhile.
        self.engine._beat()
        self.run_for(40)
        self.clock[0] += 60
        self.assertFalse(self.engine.can_judge_others())
        self.engine._periodic_heartbeat()
        self.assertFalse(self.engine.can_judge_others())
        del self.recovered[:]
        self.run_for(25)
        self.assertEqual([], self.recovered)


class LivenessTest(ManagerTestCase):

    def test_heartbeat_and_liveness_use_the_databases_clock(self):
        # The database server's clock an hour ahead of this host's: an
        # engine that beats is alive all the same, one that stopped an
        # hour ago by this host's clock is dead.
        self.add_dead_engine()
        ahead = datetime.timedelta(hours=1)
        self.useFixture(fixtures.MockPatch(
            'heat_snapshots.db.api._db_utcnow',
            side_effect=lambda session: timeutils.utcnow() + ahead))
        self.engine._beat()
        db_api.engine_heartbeat(self.ctx, 'other', 'elsewhere', 2)
        self.assertEqual({self.engine.engine_id, 'other'},
                         self.engine.alive_engine_ids())
        written = self.heartbeats()[0]
        self.assertGreater(written, timeutils.utcnow() + ahead / 2)

    def test_start_does_not_recover_and_stop_deregisters(self):
        run = self.useFixture(fixtures.MockPatchObject(
            self.engine._recovery, 'run')).mock
        self.engine.start()
        self.assertEqual(1, len(self.heartbeats()))
        # Not at start; at the first periodic, without judging others.
        run.assert_not_called()
        self.engine._periodic_recover()
        run.assert_called_once_with(can_judge_others=False)
        self.engine.stop()
        self.assertEqual([], self.heartbeats())
        # A late heartbeat does not bring the row back.
        self.engine._periodic_heartbeat()
        self.assertEqual([], self.heartbeats())


class PeriodicTest(ManagerTestCase):

    def setUp(self):
        super().setUp()
        self.flags(heartbeat_interval=1, engine_down_time=2,
                   reconcile_interval=1, group='heat_snapshots')

    def test_hanging_reconciler_does_not_delay_heartbeats(self):
        release = threading.Event()
        entered = threading.Event()

        def reconcile(context):
            entered.set()
            release.wait(60)
        self.useFixture(fixtures.MockPatch(
            'heat_snapshots.engine.reconciler.reconcile',
            side_effect=reconcile))
        self.engine.start()
        self.addCleanup(self.engine.stop)
        self.addCleanup(release.set)
        self.assertTrue(entered.wait(10))
        # While the reconciler hangs, the heartbeat row moves on, beat
        # after beat, well past engine_down_time.
        seen = set(self.heartbeats())
        ef.wait_for(lambda: seen.update(self.heartbeats()) or len(seen) > 3,
                    timeout=20, what='heartbeats during the reconcile')
        self.assertFalse(release.is_set())
        self.assertEqual({self.engine.engine_id},
                         self.engine.alive_engine_ids())

    def test_driver_and_listener_contribute_periodics(self):
        ran = {'driver': threading.Event(), 'listener': threading.Event()}

        def source(name):
            @periodics.periodic(spacing=1, run_immediately=True)
            def task():
                ran[name].set()

            class Source:
                def periodic_tasks(self):
                    return [task]
            return Source()

        self.engine.driver = source('driver')
        self.engine.add_periodic_source(source('listener'))
        self.engine.start()
        self.addCleanup(self.engine.stop)
        self.assertTrue(ran['driver'].wait(10))
        self.assertTrue(ran['listener'].wait(10))

    def test_a_task_that_is_not_periodic_is_refused(self):
        class Source:
            def periodic_tasks(self):
                return [lambda: None]
        self.engine.add_periodic_source(Source())
        self.assertRaises(TypeError, self.engine.start)
        self.assertEqual([], self.heartbeats())
