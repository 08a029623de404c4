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

"""Snapshot policies: their schedule, their runs and their retention.

Exactly once, across engines, through downtime: every engine looks for due
runs every ``scheduler_interval`` (a futurist periodic); a due run is
claimed with one conditional UPDATE of the policy's ``last_scheduled``
(db_api.policy_claim_run), so of the engines that see it due only one
runs it, and no engine-local timer decides alone. A policy whose runs
were all missed while every engine was down has one run due when an
engine comes back (the most recent scheduled time), marked late.

A run snapshots each stack it covers through the manager's ordinary
snapshot path (the stack's lock, the walk, recovery, notifications); a
stack busy with another operation is tried again every
``busy_retry_interval`` until the next scheduled time, then recorded as
skipped. After a stack's snapshot is COMPLETE the policy prunes its own
snapshots of that stack by its rules (common/retention.py), never a
snapshot in use by a restore.

``[snapshot_policies] minute_seconds`` (testing only) runs the schedule's
clock faster than the real one: the cron arithmetic sees the real time
scaled about a fixed epoch.
"""

import datetime
import threading
import time

import futurist
from futurist import periodics
from oslo_log import log as logging

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import notifications
from heat_snapshots.common import retention
from heat_snapshots.common import schedule
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import formatters
from heat_snapshots.engine import operations
from heat_snapshots.engine.stacks import base as stacks_base

LOG = logging.getLogger(__name__)

UTC = datetime.timezone.utc
# The fixed point about which a test's faster schedule clock turns.
_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=UTC)

RETENTION_KEYS = ('keep_last', 'keep_hourly', 'keep_daily', 'keep_weekly',
                  'keep_monthly', 'max_age')
# The id of the stand-in newest snapshot of a deleted stack.
_STAND_IN = 'stand-in'
# How often a run looks at a snapshot or a delete it waits for.
POLL_INTERVAL = 0.5


# --- the schedule's clock ------------------------------------------------

def _aware(value):
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _naive(value):
    return _aware(value).replace(tzinfo=None)


class Clock:
    """Real (database) times to and from the schedule's times.

    The identity, unless ``minute_seconds`` is below 60 (testing only).
    """

    def __init__(self, conf):
        self.factor = 60.0 / conf.snapshot_policies.minute_seconds

    def virtual(self, real):
        real = _aware(real)
        if self.factor == 1:
            return real
        return _EPOCH + (real - _EPOCH) * self.factor

    def real(self, virtual):
        virtual = _aware(virtual)
        if self.factor == 1:
            return _naive(virtual)
        seconds = round((virtual - _EPOCH).total_seconds() / self.factor, 3)
        return _naive(_EPOCH + datetime.timedelta(seconds=seconds))

    def next_runs(self, policy_cron, timezone, after, count=3):
        return [self.real(t) for t in schedule.next_runs(
            policy_cron, timezone, self.virtual(after), count=count)]

    def due_run(self, cron, timezone, last_run, now):
        scheduled, late = schedule.due_run(
            cron, timezone, self.virtual(last_run), self.virtual(now))
        if scheduled is None:
            return None, False
        return self.real(scheduled), late


# --- definitions -----------------------------------------------------------

def check_definition(definition):
    """Validate a policy's schedule and retention (the API has checked
    the body's shape).

    :raises: InvalidSchedule, InvalidRetention saying what is wrong.
    """
    sched = definition.get('schedule')
    if sched is not None:
        schedule.validate(sched['cron'], sched.get('timezone') or 'UTC')
    rules = definition.get('retention')
    if rules is not None:
        retention.validate_rules(rules)


def format_policy(policy, clock, now):
    return {
        'id': policy.id,
        'name': policy.name,
        'stacks': policy.stacks,
        'schedule': {'cron': policy.cron, 'timezone': policy.timezone},
        'retention': policy.retention,
        'keep_after_stack_delete': policy.keep_after_stack_delete,
        'enabled': policy.enabled,
        'next_runs': [formatters.format_time(t) for t in clock.next_runs(
            policy.cron, policy.timezone, now)] if policy.enabled else [],
        'last_scheduled': formatters.format_time(policy.last_scheduled),
        'created_at': formatters.format_time(policy.created_at),
        'updated_at': formatters.format_time(policy.updated_at),
    }


def format_run(run):
    return {
        'id': run.id,
        'policy_id': run.policy_id,
        'status': run.status,
        'reason': run.reason,
        'scheduled_at': formatters.format_time(run.scheduled_at),
        'late': run.late,
        'manual': run.scheduled_at is None,
        'stacks': run.stacks or [],
        'snapshots': run.snapshots or [],
        'pruned': run.pruned or [],
        'skipped': run.skipped or [],
        'failed': run.failed or [],
        'created_at': formatters.format_time(run.created_at),
        'ended_at': formatters.format_time(run.ended_at),
    }


def format_project_snapshot(snapshot):
    """Heat's seven keys, then the stack's and the policy's."""
    result = formatters.format_snapshot(snapshot)
    result.update({
        'stack_id': snapshot.stack_id,
        'stack_name': snapshot.stack_name,
        'stack_deleted': snapshot.stack_deleted_at is not None,
        'policy_id': snapshot.policy_id,
    })
    return result


def retention_view(snapshot, clock):
    """A snapshot row as the retention arithmetic sees it.

    One being deleted counts as IN_PROGRESS: it is never chosen again.
    """
    return retention.Snapshot(snapshot.id, clock.virtual(snapshot.created_at),
                              snapshot.status)


def prunable(policy, snapshots, clock, now):
    """Ids of the policy's snapshots of one stack its rules let go."""
    if not snapshots:
        return []
    return list(retention.select_prunable(
        [retention_view(s, clock) for s in snapshots], policy.retention,
        clock.virtual(now), timezone=policy.timezone))


def _notify_run(context, phase, policy, run, status=None, reason=None):
    """``orchestration.snapshot_policy.run.<phase>``; never raises."""
    try:
        notifier = notifications.get_notifier()
        body = {
            'policy_id': policy.id,
            'policy_name': policy.name,
            'project_id': policy.project_id,
            'tenant_id': policy.project_id,
            'run_id': run.id,
            'scheduled_at': formatters.format_time(run.scheduled_at),
            'late': run.late,
            'status': status or run.status,
            'reason': reason,
        }
        method = notifier.error if phase == notifications.ERROR \
            else notifier.info
        method(context, 'orchestration.snapshot_policy.run.%s' % phase,
               body)
    except Exception:
        LOG.exception('Could not send the %s notification of policy run %s',
                      phase, run.id)


class StackResult:
    """What a run did to one stack: its snapshot, or why not."""

    def __init__(self, stack_id, snapshot_id=None, pruned=(), skipped=None,
                 failed=None):
        self.stack_id = stack_id
        self.snapshot_id = snapshot_id
        self.pruned = list(pruned)
        self.skipped = skipped
        self.failed = failed


class PolicyScheduler:
    """Claims due runs, carries them out and prunes; one per engine."""

    def __init__(self, manager):
        self.manager = manager
        self.conf = manager.conf
        self.clock = Clock(self.conf)
        self.pool = futurist.ThreadPoolExecutor(
            max_workers=self.conf.snapshot_policies.run_workers)
        self.running = set()
        self._lock = threading.Lock()

    @property
    def engine_id(self):
        return self.manager.engine_id

    def periodic_tasks(self):
        options = self.conf.snapshot_policies

        @periodics.periodic(spacing=options.scheduler_interval)
        def run_due_snapshot_policies():
            self._periodic_tick()

        return [run_due_snapshot_policies]

    def stop(self):
        self.pool.shutdown(wait=True)

    def _periodic_tick(self):
        if self.manager.stopping():
            return
        try:
            self.tick()
        except Exception:
            LOG.exception('Could not look for due snapshot policy runs')

    # --- claiming ---------------------------------------------------------

    def tick(self):
        """Claim and start the runs that are due; end those of dead
        engines; prune what outlived its stack past ``max_age``.

        :returns: the runs this engine claimed.
        """
        admin = hs_context.get_admin_context()
        now = db_api.db_utcnow(admin)
        claimed = []
        for policy in db_api.policy_list_due(admin, now):
            run = self.claim(policy, now)
            if run is not None:
                claimed.append(run)
                self.start(policy, run)
        if self.manager.can_judge_others():
            self.end_runs_of_dead_engines()
        self.expire_kept_snapshots(now)
        return claimed

    def claim(self, policy, now):
        """The policy's due run, if this engine is the one to claim it."""
        scheduled, late = self.clock.due_run(
            policy.cron, policy.timezone, policy.last_scheduled, now)
        if scheduled is None:
            return None
        next_due = self.clock.next_runs(policy.cron, policy.timezone,
                                        scheduled, count=1)[0]
        run = db_api.policy_claim_run(
            hs_context.get_admin_context(), policy, scheduled, next_due,
            {'status': states.IN_PROGRESS, 'late': late,
             'engine_id': self.engine_id})
        if run is not None:
            LOG.info('Engine %s claimed run %s of snapshot policy %s, '
                     'scheduled at %s%s', self.engine_id, run.id, policy.id,
                     scheduled, ' (late)' if late else '')
        return run

    def start_manual(self, context, policy):
        """A run asked for now (POST .../run): not a scheduled one."""
        run = db_api.run_create(context, {
            'policy_id': policy.id, 'project_id': policy.project_id,
            'status': states.IN_PROGRESS, 'engine_id': self.engine_id,
            'late': False})
        self.start(policy, run, request_id=context.request_id)
        return run

    def start(self, policy, run, request_id=None):
        with self._lock:
            self.running.add(run.id)
        try:
            self.pool.submit(self._execute_quietly, policy, run, request_id)
        except Exception:
            with self._lock:
                self.running.discard(run.id)
            self._end(policy, run, states.FAILED,
                      'The engine could not start the run', [])

    def end_runs_of_dead_engines(self):
        """Fail the runs left IN_PROGRESS by engines that are gone."""
        admin = hs_context.get_admin_context()
        alive = self.manager.alive_engine_ids()
        for run in db_api.run_list_in_progress(admin):
            if run.engine_id in alive:
                continue
            if db_api.run_update(
                    admin, run.id,
                    {'status': states.FAILED,
                     'reason': states.RUN_ENGINE_DOWN_REASON,
                     'ended_at': db_api.db_utcnow(admin)},
                    expected={'status': states.IN_PROGRESS,
                              'engine_id': run.engine_id}):
                LOG.warning('Run %s of snapshot policy %s failed: engine %s '
                            'is gone', run.id, run.policy_id, run.engine_id)

    # --- a run ------------------------------------------------------------

    def _execute_quietly(self, policy, run, request_id):
        try:
            self.execute(policy, run, request_id)
        except Exception as error:
            LOG.exception('Run %s of snapshot policy %s failed', run.id,
                          policy.id)
            self._end(policy, run, states.FAILED, operations.describe(error),
                      [])
        finally:
            with self._lock:
                self.running.discard(run.id)

    def deadline(self, policy, run):
        """Monotonic time until which a busy stack is tried again: the
        policy's next scheduled time after the run's.
        """
        admin = hs_context.get_admin_context()
        now = db_api.db_utcnow(admin)
        after = run.scheduled_at or now
        next_time = self.clock.next_runs(policy.cron, policy.timezone,
                                         after, count=1)[0]
        return time.monotonic() + max(
            0.0, (next_time - now).total_seconds())

    def execute(self, policy, run, request_id=None):
        context = hs_context.service_context(policy.project_id,
                                             request_id=request_id)
        _notify_run(context, notifications.START, policy, run,
                    states.IN_PROGRESS)
        try:
            stack_ids = self.covered_stacks(context, policy)
        except exception.HeatSnapshotsException as error:
            return self._end(policy, run, states.FAILED,
                             'Could not list the stacks of the policy: %s'
                             % error.message, [])
        db_api.run_update(context, run.id, {'stacks': stack_ids})
        deadline = self.deadline(policy, run)
        return self._end_with(policy, run, stack_ids, self.snapshot_stacks(
            context, policy, run, stack_ids, deadline))

    def covered_stacks(self, context, policy):
        """The ids of the live stacks the policy covers now.

        A policy by tags asks the stack driver for the project's stacks
        carrying any of its tags (Heat's own stack list with the heat
        driver, the local store's with the local one) and keeps those
        ``stacks_base.covered_by_tags`` covers: the one rule, whatever the
        driver (a stack of the project, not being deleted, carrying one of
        the tags).

        :raises: HeatSnapshotsException (ServiceUnavailable, NotSupported)
            when the stacks cannot be listed: the run fails, saying so;
            it never counts as "no stack matches".
        """
        if 'ids' in policy.stacks:
            return list(policy.stacks['ids'])
        tags = stacks_base.storable_tags(policy.stacks.get('tags'))
        if not tags:
            return []
        listed = self.manager.driver.list_stacks(
            context, **{stacks_base.TAGS_ANY: tags})
        return [stack.id for stack in listed
                if stacks_base.covered_by_tags(stack, tags,
                                               policy.project_id)]

    def _end_with(self, policy, run, stack_ids, results):
        made = [r.snapshot_id for r in results if r.snapshot_id]
        pruned = [i for r in results for i in r.pruned]
        skipped = [{'stack_id': r.stack_id, 'reason': r.skipped}
                   for r in results if r.skipped]
        failed = [{'stack_id': r.stack_id, 'reason': r.failed}
                  for r in results if r.failed]
        if failed:
            status = states.FAILED
            reason = '; '.join('Stack %s: %s' % (f['stack_id'], f['reason'])
                               for f in failed)
        elif skipped and not made:
            status = states.SKIPPED
            reason = '; '.join('Stack %s: %s' % (s['stack_id'], s['reason'])
                               for s in skipped)
        elif not stack_ids:
            status, reason = states.COMPLETE, 'No stack matches the policy'
        else:
            status = states.COMPLETE
            reason = 'Snapshots of %d stack(s) made' % len(made)
            if skipped:
                reason += ', %d skipped' % len(skipped)
        return self._end(policy, run, status, reason, made, pruned=pruned,
                         skipped=skipped, failed=failed)

    def _end(self, policy, run, status, reason, made, pruned=(),
             skipped=(), failed=()):
        admin = hs_context.get_admin_context()
        db_api.run_update(admin, run.id, {
            'status': status, 'reason': reason, 'snapshots': list(made),
            'pruned': list(pruned), 'skipped': list(skipped),
            'failed': list(failed), 'ended_at': db_api.db_utcnow(admin)},
            expected={'status': states.IN_PROGRESS})
        context = hs_context.service_context(policy.project_id)
        if status == states.FAILED:
            _notify_run(context, notifications.ERROR, policy, run, status,
                        reason)
        else:
            _notify_run(context, notifications.END, policy, run, status,
                        reason)
        LOG.info('Run %s of snapshot policy %s: %s (%s)', run.id, policy.id,
                 status, reason)
        return status

    def snapshot_stacks(self, context, policy, run, stack_ids, deadline):
        """Snapshot the stacks for the run, all at once, then prune each.

        A stack busy with another operation is tried again every
        ``busy_retry_interval`` until ``deadline``, then skipped.

        :returns: a StackResult per stack.
        """
        retry = self.conf.snapshot_policies.busy_retry_interval
        results, started = [], []
        waiting = list(stack_ids)
        while waiting:
            busy = []
            for stack_id in waiting:
                outcome = self.start_stack(context, policy, run, stack_id)
                if isinstance(outcome, StackResult):
                    results.append(outcome)
                elif isinstance(outcome, exception.ActionInProgress):
                    busy.append((stack_id, outcome))
                else:
                    started.append((stack_id,) + outcome)
            if not busy:
                break
            if time.monotonic() + retry >= deadline or \
                    self.manager.stopping():
                results.extend(StackResult(stack_id, skipped=error.message)
                               for stack_id, error in busy)
                break
            time.sleep(retry)
            waiting = [stack_id for stack_id, _error in busy]
        for stack_id, snapshot, pruned in started:
            results.append(self.finish_stack(context, policy, stack_id,
                                             snapshot, pruned))
        return results

    def start_stack(self, context, policy, run, stack_id):
        """Start the stack's snapshot; prune first at the stack's limit.

        :returns: (snapshot, ids pruned first); ActionInProgress when the
            stack is busy; a StackResult when it is skipped or failed.
        """
        limit = self.conf.heat_snapshots.max_snapshots_per_stack
        limit = None if limit < 0 else limit
        name = '%s %s' % (policy.name, formatters.format_time(
            run.scheduled_at or run.created_at))
        try:
            stack = self.manager.driver.get_stack(
                context, stack_id, with_resources=False)
        except exception.StackNotFound:
            return StackResult(stack_id, skipped='the stack is gone')
        pruned = []
        if limit is not None and db_api.snapshot_count_by_stack(
                context, stack_id) >= limit:
            pruned = self.prune(context, policy, stack_id)
            if db_api.snapshot_count_by_stack(context, stack_id) >= limit:
                return StackResult(
                    stack_id, pruned=pruned,
                    failed='the stack has max_snapshots_per_stack (%d) '
                           'snapshots and the policy\'s retention rules '
                           'allow none of its own to be pruned' % limit)
        try:
            snapshot = self.manager.policy_snapshot(context, stack, name,
                                                    policy.id, limit)
        except exception.ActionInProgress as error:
            return error
        except exception.RequestLimitExceeded as error:
            return StackResult(stack_id, pruned=pruned,
                               failed=error.message)
        LOG.info('Run %s of snapshot policy %s: snapshot %s of stack %s',
                 run.id, policy.id, snapshot.id, stack_id)
        return snapshot, pruned

    def finish_stack(self, context, policy, stack_id, snapshot, pruned):
        """Wait for the stack's snapshot; prune once it is COMPLETE."""
        snapshot_id = snapshot.id
        snapshot = self._wait(context, snapshot_id)
        if snapshot is None or snapshot.status != states.COMPLETE:
            reason = snapshot.status_reason if snapshot is not None \
                else 'the snapshot is gone'
            return StackResult(stack_id, pruned=pruned,
                               failed='snapshot %s failed: %s' % (
                                   snapshot_id, reason))
        pruned = pruned + self.prune(context, policy, stack_id)
        return StackResult(stack_id, snapshot_id=snapshot_id, pruned=pruned)

    def _wait(self, context, snapshot_id):
        """The snapshot once it is no longer IN_PROGRESS (None: gone)."""
        end = time.monotonic() + self.conf.snapshot_policies.run_timeout
        while True:
            try:
                snapshot = db_api.snapshot_get(context, snapshot_id)
            except exception.SnapshotIdNotFound:
                return None
            if snapshot.status != states.IN_PROGRESS or \
                    time.monotonic() >= end:
                return snapshot
            time.sleep(POLL_INTERVAL)

    # --- retention --------------------------------------------------------

    def preview(self, context, policy):
        """{stack id: ids the next prune would delete}."""
        now = db_api.db_utcnow(context)
        found = {}
        for snapshot in db_api.snapshot_list_by_policy(context, policy.id):
            found.setdefault(snapshot.stack_id, []).append(snapshot)
        return {stack_id: prunable(policy, snapshots, self.clock, now)
                for stack_id, snapshots in found.items()}

    def prune(self, context, policy, stack_id, wait=True):
        """Delete the policy's own snapshots of the stack its rules let go.

        Never another policy's or a user's (only ``policy_id``'s are
        looked at), never the newest COMPLETE one nor one IN_PROGRESS
        (retention.select_prunable), never one a restore reads (the
        claim refuses it).

        :returns: the ids whose delete was started (and, with ``wait``,
            has ended).
        """
        now = db_api.db_utcnow(context)
        own = db_api.snapshot_list_by_policy(context, policy.id, stack_id)
        by_id = {s.id: s for s in own}
        started = []
        for snapshot_id in prunable(policy, own, self.clock, now):
            if self.delete(context, by_id[snapshot_id]):
                started.append(snapshot_id)
        if wait:
            for snapshot_id in started:
                self._wait_gone(context, snapshot_id)
        return started

    def delete(self, context, snapshot):
        """Start the snapshot's delete; False when it is in use or taken.
        """
        try:
            if not operations.snapshot_claimed(context, snapshot,
                                               self.engine_id):
                return False
        except exception.SnapshotInUse:
            LOG.info('Snapshot %s is in use by a restore: not pruned',
                     snapshot.id)
            return False
        notifications.notify_start(context, notifications.DELETE, snapshot,
                                   states.DELETE_STARTED_REASON)
        self.manager.spawn_snapshot_delete(context, snapshot)
        return True

    def _wait_gone(self, context, snapshot_id):
        end = time.monotonic() + self.conf.snapshot_policies.run_timeout
        while time.monotonic() < end:
            try:
                snapshot = db_api.snapshot_get(context, snapshot_id)
            except exception.SnapshotIdNotFound:
                return True
            if snapshot.status == states.FAILED:
                return False
            time.sleep(POLL_INTERVAL)
        return False

    def expire_kept_snapshots(self, now):
        """Delete the snapshots kept after their stack past their policy's
        ``max_age`` (the stack is gone: no newest is kept for it).
        """
        admin = hs_context.get_admin_context()
        policies = {}
        for policy in db_api.policy_list(admin):
            max_age = (policy.retention or {}).get('max_age')
            if max_age is not None and policy.keep_after_stack_delete:
                policies[policy.id] = (policy, max_age)
        if not policies:
            return []
        deleted = []
        for policy_id, (policy, max_age) in policies.items():
            own = db_api.snapshot_list_by_policy(admin, policy_id)
            kept = [s for s in own if s.stack_deleted_at is not None]
            if not kept:
                continue
            # The stack is gone: no newest snapshot is kept for it. A
            # stand-in newest lets the arithmetic judge each by age alone.
            views = [retention_view(s, self.clock) for s in kept]
            views.append(retention.Snapshot(
                _STAND_IN, self.clock.virtual(now), states.COMPLETE))
            by_id = {s.id: s for s in kept}
            for snapshot_id in retention.select_prunable(
                    views, {'max_age': max_age}, self.clock.virtual(now),
                    timezone=policy.timezone):
                snapshot = by_id.get(snapshot_id)
                if snapshot is None:
                    continue
                context = hs_context.service_context(snapshot.project_id)
                if self.delete(context, snapshot):
                    deleted.append(snapshot.id)
        return deleted
