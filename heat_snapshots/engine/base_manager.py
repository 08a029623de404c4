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

"""An engine's life cycle: start, stop, heartbeat and periodic tasks.

The RPC endpoints live in manager.py (EngineManager, a subclass). This
module keeps the engine alive in the others' eyes and runs its background
work as separate ``futurist`` periodics, each in a thread of its own, so
that a reconciler or a driver's check that hangs never delays a heartbeat.

Liveness uses the database's clock only: heartbeats are written with the
database server's time and compared with it (``db_api.engine_list_alive``).
An engine judges others (declares them dead, takes over their locks, fails
or resumes their work) only after ``engine_down_time`` seconds of its own
unbroken good heartbeats: one that starts, comes back after a database
outage or wakes up from a freeze first gives the others the time to beat.
"""

import os
import threading
import time

import futurist
from futurist import periodics
from oslo_log import log as logging
from oslo_utils import uuidutils

from heat_snapshots.common import context as hs_context
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import reconciler
from heat_snapshots.engine.stacks import base as stacks_base

LOG = logging.getLogger(__name__)


class BaseEngineManager:
    """Life cycle and liveness of one engine; see EngineManager for RPC.

    Hooks for subclasses, drivers and listeners:

    * ``recover()``: called every ``heartbeat_interval`` (never at start);
      it may fail or resume this engine's own lost work at any time, the
      work of other engines only while ``can_judge_others()``.
    * ``periodic_tasks()``: the manager's own periodic callables.
    * A stack driver, or any object given to ``add_periodic_source()``
      before ``start()``, contributes the callables its own
      ``periodic_tasks()`` returns (functions decorated with
      ``futurist.periodics.periodic(spacing)``); each runs in a thread of
      its own.
    """

    def __init__(self, conf, driver=None):
        self.conf = conf
        self.engine_id = uuidutils.generate_uuid()
        self.driver = driver or stacks_base.load(conf)
        # The operation workers (snapshot, restore and delete walks).
        self.pool = futurist.ThreadPoolExecutor(
            max_workers=conf.heat_snapshots.operation_workers)
        self._stopping = threading.Event()
        self._periodic_sources = []
        self._periodic_worker = None
        self._periodic_thread = None
        self._periodic_executor = None
        # Held while a heartbeat is written, so that none lands after the
        # engine's row is deleted on stop.
        self._beat_lock = threading.Lock()
        self._deregistered = False
        # Monotonic times: the first heartbeat of the current unbroken run
        # of good heartbeats (None while they fail), and the last one.
        self._beating_since = None
        self._last_beat = None

    # --- life cycle -------------------------------------------------------

    def add_periodic_source(self, source):
        """Run ``source.periodic_tasks()`` as periodics of this engine."""
        self._periodic_sources.append(source)

    def start(self):
        """Register the engine and start its periodic tasks.

        Work of other engines is looked at only after ``engine_down_time``
        of this engine's own heartbeats, never at once.

        :raises: the database's error when the first heartbeat fails.
        """
        tasks = self._collect_periodic_tasks()
        self._beat()
        # One thread per task: none waits for another.
        self._periodic_executor = futurist.ThreadPoolExecutor(
            max_workers=len(tasks))
        self._periodic_worker = periodics.PeriodicWorker(
            [(task, (), {}) for task in tasks],
            executor_factory=periodics.ExistingExecutor(
                self._periodic_executor))
        self._periodic_thread = threading.Thread(
            target=self._periodic_worker.start, name='hs-periodics',
            daemon=True)
        self._periodic_thread.start()
        LOG.info('Engine %s started with %d periodic tasks', self.engine_id,
                 len(tasks))

    def stop(self):
        """Let the operations in progress end, then deregister.

        Heartbeats go on until the operations have ended, so that no other
        engine takes their work for abandoned.
        """
        self._stopping.set()
        self.pool.shutdown(wait=True)
        if self._periodic_worker is not None:
            self._periodic_worker.stop()
            # A task that hangs (a cloud that does not answer) is not
            # waited for long; its thread ends with the process.
            self._periodic_worker.wait(
                self.conf.heat_snapshots.heartbeat_interval)
            self._periodic_executor.shutdown(wait=False)
        with self._beat_lock:
            self._deregistered = True
            db_api.engine_delete(hs_context.get_admin_context(),
                                 self.engine_id)

    def stopping(self):
        """Whether the engine is stopping (it takes no new work)."""
        return self._stopping.is_set()

    # --- periodic tasks ---------------------------------------------------

    def periodic_tasks(self):
        """The manager's own periodics: heartbeat, recovery, reconciler."""
        options = self.conf.heat_snapshots

        @periodics.periodic(spacing=options.heartbeat_interval)
        def heartbeat():
            self._periodic_heartbeat()

        @periodics.periodic(spacing=options.heartbeat_interval)
        def recover_dead_engines_work():
            self._periodic_recover()

        @periodics.periodic(spacing=options.reconcile_interval,
                            run_immediately=True)
        def reconcile_artifacts():
            self._periodic_reconcile()

        return [heartbeat, recover_dead_engines_work, reconcile_artifacts]

    def _collect_periodic_tasks(self):
        tasks = list(self.periodic_tasks())
        sources = [self.driver] + list(self._periodic_sources)
        for source in sources:
            for task in source.periodic_tasks() or ():
                if not periodics.is_periodic(task):
                    raise TypeError('%r of %r is not decorated with '
                                    'futurist.periodics.periodic' %
                                    (task, source))
                tasks.append(task)
        return tasks

    def _periodic_heartbeat(self):
        try:
            self._beat()
        except Exception:
            # A database that is down must not kill the engine; the others
            # get engine_down_time after it is back before we judge them.
            LOG.exception('Engine %s could not write its heartbeat',
                          self.engine_id)

    def _periodic_recover(self):
        if self._stopping.is_set():
            return
        try:
            self.recover()
        except Exception:
            LOG.exception('Engine %s could not look for work of dead '
                          'engines', self.engine_id)

    def _periodic_reconcile(self):
        if self._stopping.is_set():
            return
        try:
            reconciler.reconcile(hs_context.get_admin_context())
        except Exception:
            LOG.exception('Could not look for orphaned artifacts')

    def recover(self):
        """Fail or resume abandoned work; see ``can_judge_others()``."""
        raise NotImplementedError()

    # --- liveness ---------------------------------------------------------

    def _beat(self):
        with self._beat_lock:
            if self._deregistered:
                return
            try:
                db_api.engine_heartbeat(hs_context.get_admin_context(),
                                        self.engine_id,
                                        self.conf.heat_snapshots.host,
                                        os.getpid())
            except Exception:
                self._beating_since = None
                raise
            now = time.monotonic()
            down_time = self.conf.heat_snapshots.engine_down_time
            if (self._beating_since is None or self._last_beat is None or
                    now - self._last_beat >= down_time):
                # A new run: after a freeze longer than engine_down_time
                # the others may have taken us for dead, too.
                self._beating_since = now
            self._last_beat = now

    def can_judge_others(self):
        """Whether this engine may declare others dead.

        Only after ``engine_down_time`` seconds of its own unbroken good
        heartbeats, the last one younger than ``engine_down_time``.
        """
        since, last = self._beating_since, self._last_beat
        if since is None or last is None:
            return False
        now = time.monotonic()
        down_time = self.conf.heat_snapshots.engine_down_time
        return now - since >= down_time and now - last < down_time

    def alive_engine_ids(self):
        """Ids of the engines whose heartbeat is recent, by the DB's clock.

        Includes this engine. Callers that act on the others' death check
        ``can_judge_others()`` first (``is_engine_alive`` does).
        """
        alive = db_api.engine_list_alive(
            hs_context.get_admin_context(),
            self.conf.heat_snapshots.engine_down_time)
        alive.add(self.engine_id)
        return alive

    def is_engine_alive(self, engine_id):
        """Whether ``engine_id`` is to be taken for alive.

        Every engine is, while this one cannot judge others yet.
        """
        if engine_id == self.engine_id or not self.can_judge_others():
            return True
        return engine_id in self.alive_engine_ids()
