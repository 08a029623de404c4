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

"""Snapshots follow their stack in Heat.

With the ``heat`` stack driver Heat deletes stacks without us. Two things
delete the snapshots (and their backups) of a stack Heat has deleted:

* a notification listener on Heat's notifications
  (``orchestration.stack.delete.end``), which acts at once;
* a periodic check every ``[heat_snapshots_heat] stack_check_interval``
  seconds, which asks Heat whether each stack with snapshots still exists
  (notifications can be lost, or be off in Heat).

Both reuse the engine's snapshot delete walk; a snapshot being created or
deleted by a live engine is left alone (the next check sees it again).

Proof before purge: snapshots hold the only copy of a project's backups,
so they are deleted only on positive proof that Heat deleted their stack:

* the notification ``orchestration.stack.delete.end`` (DELETE_COMPLETE);
* the stack seen ``DELETE_COMPLETE`` (Heat looks ids up among its deleted
  stacks until they are purged);
* Heat's own fault body (JSON, ``EntityNotFound`` "The Stack (<id>) could
  not be found.") for a lookup by id in the owning project (the service
  user scoped to the snapshot's project), seen again by a later check at
  least ``[heat_snapshots_heat] deleted_stack_grace`` seconds after the
  first.

Any other answer (an HTML 404 of a proxy, another service's 404 from a
wrong catalog entry, 401, 403, 5xx, a timeout, a stack of another project)
is "unknown" and deletes nothing. The first sighting of a missing stack is
kept in memory, per engine: a restart only restarts the grace.

A circuit breaker guards against a Heat (or an endpoint) that suddenly
answers "no such stack" for everything: a check that finds more than
``max_deleted_share`` of the stacks gone (and at least
``max_deleted_share_min_count`` of them) deletes nothing and logs an ERROR.
"""

import time

from futurist import periodics
from oslo_log import log as logging
import oslo_messaging as messaging

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import locks
from heat_snapshots.engine import operations
from heat_snapshots.engine import snapshots
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk

LOG = logging.getLogger(__name__)

GROUP = 'heat_snapshots_heat'
STACK_DELETE_END = 'orchestration.stack.delete.end'
DELETE_COMPLETE = states.stack_status(states.DELETE, states.COMPLETE)
STACK_GONE_REASON = 'Stack %s was deleted in Heat'

FOUND = stacks_base.FOUND
DELETED = stacks_base.DELETED
NOT_FOUND = stacks_base.NOT_FOUND
UNKNOWN = stacks_base.UNKNOWN
# Stacks named by the circuit breaker's alarm, at most.
ALARM_STACKS = 20


def stack_id_from_payload(payload):
    """The stack id of a Heat notification (an id, or an old ARN)."""
    stack_id = (payload or {}).get('stack_identity') or \
        (payload or {}).get('stack_id')
    if isinstance(stack_id, dict):
        stack_id = stack_id.get('stack_id')
    if isinstance(stack_id, str) and stack_id.startswith('arn:'):
        stack_id = stack_id.rstrip('/').rsplit('/', 1)[-1]
    return stack_id


class StackFollower:
    """Deletes the snapshots of stacks that Heat no longer has."""

    def __init__(self, conf, driver, engine_id, is_engine_alive=None,
                 clock=time.monotonic):
        self.conf = conf
        self.driver = driver
        self.engine_id = engine_id
        self.is_engine_alive = is_engine_alive or (lambda engine_id: True)
        self.clock = clock
        # {(stack id, project id): (clock, pass)} of Heat's first "no such
        # stack"; only stacks that still have snapshots and were not seen
        # again since.
        self.missing_since = {}
        self._passes = 0

    def delete_stack_snapshots(self, stack_id, project_id=None):
        """Delete every snapshot of the stack with what it made.

        :param project_id: the project that Heat said deleted the stack:
            only its snapshots of the stack are deleted. None: all.
        :returns: the number of snapshots deleted.
        """
        admin = hs_context.get_admin_context()
        deleted = 0
        # A policy's snapshots with keep_after_stack_delete stay.
        db_api.snapshot_mark_stack_deleted(admin, stack_id)
        for snapshot in db_api.snapshot_list_by_stack(
                admin, stack_id, dying_with_stack=True):
            if project_id is not None and snapshot.project_id is not None \
                    and snapshot.project_id != project_id:
                LOG.warning('Snapshot %s of stack %s is in project %s, not '
                            'in %s where the stack was deleted; kept',
                            snapshot.id, stack_id, snapshot.project_id,
                            project_id)
                continue
            if snapshot.status == states.IN_PROGRESS and \
                    self.is_engine_alive(snapshot.engine_id):
                # Being made or deleted: looked at again by the next check.
                LOG.info('Snapshot %s of deleted stack %s is busy (%s); '
                         'left for later', snapshot.id, stack_id,
                         snapshot.action)
                continue
            context = hs_context.service_context(
                snapshot.project_id or project_id)
            try:
                if not operations.snapshot_claimed(
                        context, snapshot, self.engine_id,
                        reason=STACK_GONE_REASON % stack_id):
                    continue
            except exception.SnapshotInUse:
                continue
            fenced = locks.fenced_context(
                context, locks.Fence(self.engine_id, None, None,
                                     snapshot.id))
            outcome = snapshots.DeleteWalk(self.conf, self.driver,
                                           fenced).run(snapshot.id)
            if outcome.status != states.COMPLETE:
                LOG.error('Could not delete snapshot %s of deleted stack '
                          '%s: %s', snapshot.id, stack_id, outcome.reason)
                continue
            LOG.info('Deleted snapshot %s of stack %s, deleted in Heat',
                     snapshot.id, stack_id)
            deleted += 1
        return deleted

    def follow_delete(self, stack_id, project_id):
        """A stack DELETE Heat accepted (seen by the heat-api filter):
        delete the stack's snapshots once Heat shows the stack
        DELETE_COMPLETE, checking with the engine's back-off up to
        ``[heat_snapshots] action_timeout``.

        Anything short of that proof (the delete failed, Heat does not
        answer, the stack is already purged) is left to the notification
        listener and the periodic check.

        :returns: the number of snapshots deleted.
        """
        seen = {}

        def gone():
            seen['presence'] = self.stack_presence(stack_id, project_id)
            return seen['presence'] in (DELETED, NOT_FOUND) or \
                self._delete_failed(stack_id, project_id)

        deadline = time.monotonic() + self.conf.heat_snapshots.action_timeout
        try:
            walk.poll(gone, deadline, self.conf,
                      'Waiting for Heat to delete stack %s' % stack_id)
        except exception.OperationTimeout as error:
            LOG.info('%s; the stack check will look again', error)
            return 0
        if seen['presence'] != DELETED:
            LOG.info('Stack %s: Heat\'s delete gave no proof (%s); the '
                     'stack check will look again', stack_id,
                     seen['presence'])
            return 0
        LOG.info('Stack %s (project %s): deleted in Heat after a DELETE '
                 'through heat-api; deleting its snapshots', stack_id,
                 project_id)
        return self.delete_stack_snapshots(stack_id, project_id)

    def _delete_failed(self, stack_id, project_id):
        try:
            stack = self.driver.get_stack(
                hs_context.service_context(project_id), stack_id,
                with_resources=False, project_id=project_id)
        except Exception:
            return False
        return (stack.action, stack.status) == (states.DELETE,
                                                states.FAILED)

    def stack_presence(self, stack_id, project_id):
        """FOUND, DELETED, NOT_FOUND or UNKNOWN (the driver's
        ``stack_presence``); a driver's error is UNKNOWN.
        """
        if not project_id:
            return UNKNOWN
        context = hs_context.service_context(project_id)
        try:
            return self.driver.stack_presence(context, stack_id, project_id)
        except Exception as error:
            LOG.warning('Could not ask Heat about stack %s of project %s: '
                        '%s', stack_id, project_id, error)
            return UNKNOWN

    def stacks_with_snapshots(self):
        """{(stack id, project id)} of every stack that has snapshots."""
        return db_api.snapshot_stacks(hs_context.get_admin_context())

    def breaker_trips(self, gone, total):
        """Whether ``gone`` of ``total`` stacks at once is too many."""
        options = self.conf[GROUP]
        return (gone >= options.max_deleted_share_min_count and
                gone > options.max_deleted_share * total)

    def check_stacks(self):
        """Delete the snapshots of the stacks Heat proves it deleted.

        :returns: the number of snapshots deleted.
        """
        options = self.conf[GROUP]
        now = self.clock()
        self._passes += 1
        stacks = self.stacks_with_snapshots()
        for key in set(self.missing_since) - stacks:
            del self.missing_since[key]
        gone = []
        proven = []
        unknown = 0
        for key in sorted(stacks, key=lambda k: (k[0], k[1] or '')):
            stack_id, project_id = key
            presence = self.stack_presence(stack_id, project_id)
            if presence == FOUND:
                self.missing_since.pop(key, None)
            elif presence == DELETED:
                gone.append(key)
                proven.append(key)
            elif presence == NOT_FOUND:
                gone.append(key)
                since, seen_pass = self.missing_since.setdefault(
                    key, (now, self._passes))
                if seen_pass < self._passes and \
                        now - since >= options.deleted_stack_grace:
                    proven.append(key)
                elif seen_pass == self._passes:
                    LOG.info('Heat has no stack %s (project %s); its '
                             'snapshots are deleted if Heat still says so '
                             'in %d s', stack_id, project_id,
                             options.deleted_stack_grace)
            else:
                # Kept, and so is the first sighting of a missing stack.
                unknown += 1
        if unknown:
            LOG.warning('Stack check: Heat gave no usable answer about %d '
                        'of %d stacks with snapshots; their snapshots are '
                        'kept', unknown, len(stacks))
        if gone and self.breaker_trips(len(gone), len(stacks)):
            LOG.error('ALARM: Heat says %d of the %d stacks with snapshots '
                      'are gone at once (more than [%s] max_deleted_share '
                      '= %s); this looks like a wrong endpoint or a broken '
                      'Heat, not deletes: no snapshot is deleted. Check '
                      'Heat and the engine\'s Heat endpoint; if these '
                      'stacks were really deleted, delete their snapshots '
                      'or raise max_deleted_share. Stacks: %s%s',
                      len(gone), len(stacks), GROUP,
                      options.max_deleted_share,
                      ', '.join(stack_id for stack_id, _ in
                                gone[:ALARM_STACKS]),
                      ' and %d more' % (len(gone) - ALARM_STACKS)
                      if len(gone) > ALARM_STACKS else '')
            return 0
        deleted = 0
        for stack_id, project_id in proven:
            self.missing_since.pop((stack_id, project_id), None)
            LOG.info('Heat deleted stack %s (project %s); deleting its '
                     'snapshots', stack_id, project_id)
            deleted += self.delete_stack_snapshots(stack_id, project_id)
        return deleted


class NotificationEndpoint:
    """Heat's ``orchestration.stack.delete.end``: delete its snapshots."""

    filter_rule = messaging.NotificationFilter(
        event_type=r'^%s$' % STACK_DELETE_END.replace('.', r'\.'))

    def __init__(self, follower, submit=None):
        self.follower = follower
        self.submit = submit or (lambda function, *args: function(*args))

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        payload = payload or {}
        state = payload.get('state')
        if state and state != DELETE_COMPLETE:
            return messaging.NotificationResult.HANDLED
        stack_id = stack_id_from_payload(payload)
        if not stack_id:
            LOG.debug('%s without a stack id: %s', event_type, payload)
            return messaging.NotificationResult.HANDLED
        LOG.info('Heat deleted stack %s; deleting its snapshots', stack_id)
        self.submit(self._delete, stack_id, payload.get('tenant_id'))
        return messaging.NotificationResult.HANDLED

    def _delete(self, stack_id, project_id):
        try:
            self.follower.delete_stack_snapshots(stack_id, project_id)
        except Exception:
            LOG.exception('Could not delete the snapshots of stack %s',
                          stack_id)


class HeatListener:
    """The notification listener and the periodic stack check.

    The check is one of the engine's periodic tasks (``periodic_tasks()``,
    given to the manager with ``add_periodic_source``), so that a Heat
    that does not answer delays nothing else.
    """

    def __init__(self, conf, manager, transport=None):
        self.conf = conf
        self.options = conf[GROUP]
        self.follower = StackFollower(conf, manager.driver,
                                      manager.engine_id,
                                      manager.is_engine_alive)
        self.endpoint = NotificationEndpoint(self.follower,
                                             manager.pool.submit)
        self._transport = transport
        self.listener = None

    def start(self):
        if self.options.listen_notifications:
            transport = self._transport or \
                messaging.get_notification_transport(self.conf)
            targets = [messaging.Target(
                topic=topic, exchange=self.options.notification_exchange)
                for topic in self.options.notification_topics]
            self.listener = messaging.get_notification_listener(
                transport, targets, [self.endpoint],
                pool=self.options.notification_pool)
            self.listener.start()
            LOG.info('Listening to Heat\'s notifications on %s',
                     ', '.join(self.options.notification_topics))

    def periodic_tasks(self):
        """The stack check, unless stack_check_interval is 0."""
        if not self.options.stack_check_interval:
            return []

        @periodics.periodic(spacing=self.options.stack_check_interval)
        def check_heat_stacks():
            try:
                self.follower.check_stacks()
            except Exception:
                LOG.exception('Could not check the stacks with snapshots')

        return [check_heat_stacks]

    def stop(self):
        if self.listener is not None:
            self.listener.stop()
            self.listener.wait()
