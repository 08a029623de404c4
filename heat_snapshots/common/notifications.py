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

"""Notifications of snapshot operations, through oslo.messaging's Notifier.

The engine sends, for each snapshot operation, an event when it starts and
one when it ends::

    orchestration.snapshot.create.start   .end   .error
    orchestration.snapshot.restore.start  .end   .error
    orchestration.snapshot.delete.start   .end   .error

from publisher ``heat-snapshots.<[heat_snapshots] host>``. They are off
unless ``[oslo_messaging_notifications] driver`` names a driver (usually
``messagingv2``); with the default, empty, oslo.messaging drops them.
Sending a notification never fails an operation.

Whoever can read the notification topic (billing, auditing, a search
index) is not the caller: the context sent with an event is the caller's
without its token or any other credential (``consumer_context``). RPC
between our API and engines, which need the token, keeps it.
"""

import re

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging

from heat_snapshots.common import rpc
from heat_snapshots.common import states

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

CREATE = 'create'
RESTORE = 'restore'
DELETE = 'delete'
CLONE = 'clone'

START = 'start'
END = 'end'
ERROR = 'error'

EVENT_TYPE = 'orchestration.snapshot.%(operation)s.%(phase)s'
PUBLISHER = 'heat-snapshots'

IN_PROGRESS = states.IN_PROGRESS
COMPLETE = states.COMPLETE

TRANSPORT = None
NOTIFIER = None

# Context keys a consumer must not see: the token and its body, a service
# catalog, passwords, secrets, credentials. Ids (user, project, trust) stay.
_SECRET_KEY = re.compile(r'token|password|secret|credential|catalog|'
                         r'aws_creds', re.IGNORECASE)


def consumer_context(context):
    """The context as a notification consumer receives it: no secrets."""
    values = context.to_dict() if hasattr(context, 'to_dict') else dict(
        context or {})
    return {key: value for key, value in values.items()
            if not _SECRET_KEY.search(key)}


class ConsumerContextSerializer(rpc.RequestContextSerializer):
    """Serialises the context without the caller's secrets."""

    def serialize_context(self, context):
        return consumer_context(context)


def init(conf=CONF):
    """Make the notifier; its driver comes from [oslo_messaging_notifications].

    Called on first use; a second call returns the same notifier.
    """
    global TRANSPORT, NOTIFIER
    if NOTIFIER is None:
        TRANSPORT = messaging.get_notification_transport(
            conf, allowed_remote_exmods=rpc.ALLOWED_EXMODS)
        NOTIFIER = messaging.Notifier(
            TRANSPORT,
            publisher_id='%s.%s' % (PUBLISHER, conf.heat_snapshots.host),
            serializer=ConsumerContextSerializer())
    return NOTIFIER


def cleanup():
    """Forget the notifier (process end, tests)."""
    global TRANSPORT, NOTIFIER
    if TRANSPORT is not None:
        TRANSPORT.cleanup()
    TRANSPORT = None
    NOTIFIER = None


def get_notifier():
    return init()


def event_type(operation, phase):
    return EVENT_TYPE % {'operation': operation, 'phase': phase}


def payload(snapshot, status=None, status_reason=None, clone=None):
    """What every event carries, from a snapshot row.

    ``status`` and ``status_reason`` are those of the operation: for a
    restore or a clone, the stack's made; otherwise the snapshot's.
    ``clone`` is the stack a clone makes (its ``clone_stack_id`` and
    ``clone_stack_name``).
    """
    body = {
        'stack_id': snapshot.stack_id,
        'stack_name': snapshot.stack_name,
        'project_id': snapshot.project_id,
        'tenant_id': snapshot.project_id,
        'snapshot_id': snapshot.id,
        'snapshot_name': snapshot.name,
        'status': status or snapshot.status,
        'status_reason': status_reason,
    }
    if clone is not None:
        body['clone_stack_id'] = clone.id
        body['clone_stack_name'] = clone.name
    return body


def notify(context, operation, phase, snapshot, status=None,
           status_reason=None, clone=None):
    """Send ``orchestration.snapshot.<operation>.<phase>``; never raises."""
    try:
        notifier = get_notifier()
        body = payload(snapshot, status, status_reason, clone)
        method = notifier.error if phase == ERROR else notifier.info
        method(context, event_type(operation, phase), body)
    except Exception:
        LOG.exception('Could not send the %s notification of snapshot %s',
                      event_type(operation, phase),
                      getattr(snapshot, 'id', None))


def notify_start(context, operation, snapshot, status_reason=None,
                 clone=None):
    notify(context, operation, START, snapshot, IN_PROGRESS, status_reason,
           clone)


def notify_end(context, operation, snapshot, status, status_reason=None,
               clone=None):
    """``.end`` when ``status`` is COMPLETE, ``.error`` otherwise."""
    phase = END if status == COMPLETE else ERROR
    notify(context, operation, phase, snapshot, status, status_reason, clone)
