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
"""

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

LOG = logging.getLogger(__name__)

GROUP = 'heat_snapshots_heat'
STACK_DELETE_END = 'orchestration.stack.delete.end'
DELETE_COMPLETE = states.stack_status(states.DELETE, states.COMPLETE)
STACK_GONE_REASON = 'Stack %s was deleted in Heat'


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

    def __init__(self, conf, driver, engine_id, is_engine_alive=None):
        self.conf = conf
        self.driver = driver
        self.engine_id = engine_id
        self.is_engine_alive = is_engine_alive or (lambda engine_id: True)

    def delete_stack_snapshots(self, stack_id, project_id=None):
        """Delete every snapshot of the stack with what it made.

        :returns: the number of snapshots deleted.
        """
        admin = hs_context.get_admin_context()
        deleted = 0
        for snapshot in db_api.snapshot_list_by_stack(admin, stack_id):
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

    def stack_exists(self, stack_id, project_id):
        context = hs_context.service_context(project_id)
        exists = getattr(self.driver, 'stack_exists', None)
        if exists is not None:
            return exists(context, stack_id, project_id=project_id)
        try:
            self.driver.get_stack(context, stack_id, with_resources=False)
        except exception.StackNotFound:
            return False
        return True

    def stacks_with_snapshots(self):
        """{stack id: project id} of every stack that has snapshots."""
        admin = hs_context.get_admin_context()
        stacks = {}
        for status in states.STATUSES:
            for snapshot in db_api.snapshot_list_by_status(admin, status):
                stacks.setdefault(snapshot.stack_id, snapshot.project_id)
        return stacks

    def check_stacks(self):
        """Delete the snapshots of every stack Heat no longer has.

        A stack Heat could not be asked about is kept.

        :returns: the number of snapshots deleted.
        """
        deleted = 0
        for stack_id, project_id in sorted(
                self.stacks_with_snapshots().items()):
            try:
                if self.stack_exists(stack_id, project_id):
                    continue
            except Exception as error:
                LOG.warning('Could not check that stack %s exists: %s',
                            stack_id, error)
                continue
            LOG.info('Stack %s is gone from Heat; deleting its snapshots',
                     stack_id)
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
