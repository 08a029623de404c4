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

"""The errors heat-snapshots raises, each with its HTTP status.

Class names are Heat's where Heat defines the error, because the API
reports the class name as ``error.type`` and clients match on it. The status
is mapped here, once; the API fault handler only reads ``code``.
"""

from http import client as http_client


class HeatSnapshotsException(Exception):
    """Base class: ``msg_fmt`` is formatted with the keyword arguments."""

    msg_fmt = 'An unknown exception occurred.'
    code = http_client.INTERNAL_SERVER_ERROR
    # The name reported as error.type when it must differ from the class.
    error_type = None
    # Whether the message is safe to show to API callers.
    safe = True

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                # A wrong format argument must not hide the real error.
                message = self.msg_fmt
        self.message = str(message)
        super().__init__(self.message)

    @property
    def type_name(self):
        return self.error_type or type(self).__name__


def user_message(error, request_id=None):
    """What a user may be told of ``error``.

    Our own errors carry a message meant for users. Anything else (a
    database error, a bug) may hold internal URLs or SQL: the caller logs
    it in full, and the user gets a generic text with the request id to
    quote to the operator.
    """
    if isinstance(error, HeatSnapshotsException) and error.safe:
        return error.message
    return 'Internal error (request %s); see the engine log' % request_id


class Invalid(HeatSnapshotsException):
    msg_fmt = 'Invalid input: %(reason)s'
    code = http_client.BAD_REQUEST


class NotAuthorized(HeatSnapshotsException):
    msg_fmt = 'Access was denied to this resource.'
    code = http_client.FORBIDDEN


class NotFound(HeatSnapshotsException):
    msg_fmt = 'The resource could not be found.'
    code = http_client.NOT_FOUND


class Conflict(HeatSnapshotsException):
    msg_fmt = 'The request conflicts with the current state.'
    code = http_client.CONFLICT


class ServiceUnavailable(HeatSnapshotsException):
    msg_fmt = 'The service is unavailable: %(reason)s'
    code = http_client.SERVICE_UNAVAILABLE


# --- Heat's own errors, with Heat's names and messages -------------------

class Forbidden(NotAuthorized):
    error_type = 'HTTPForbidden'


class PolicyNotAuthorized(NotAuthorized):
    msg_fmt = 'Policy doesn\'t allow %(action)s to be performed.'
    error_type = 'Forbidden'


class EntityNotFound(NotFound):
    msg_fmt = 'The %(entity)s (%(name)s) could not be found.'


class StackNotFound(EntityNotFound):
    error_type = 'EntityNotFound'

    def __init__(self, stack_name=None, **kwargs):
        # oslo.messaging rebuilds an engine error on the API side as
        # cls(message, **kwargs): the kwargs carry the real name.
        kwargs.setdefault('entity', 'Stack')
        kwargs.setdefault('name', stack_name)
        super().__init__(**kwargs)


class SnapshotIdNotFound(NotFound):
    msg_fmt = 'Snapshot with id %(snapshot_id)s not found'
    error_type = 'NotFound'


class SnapshotNotFound(NotFound):
    msg_fmt = ('The Snapshot (%(snapshot)s) for Stack (%(stack)s) could '
               'not be found.')


class ResourceNotFound(EntityNotFound):
    error_type = 'EntityNotFound'

    def __init__(self, resource_name=None, **kwargs):
        # oslo.messaging rebuilds an engine error on the API side as
        # cls(message, **kwargs): the kwargs carry the real name.
        kwargs.setdefault('entity', 'Resource')
        kwargs.setdefault('name', resource_name)
        super().__init__(**kwargs)


class ActionInProgress(Conflict):
    msg_fmt = ('Stack %(stack_name)s already has an action (%(action)s) in '
               'progress.')


class StackExists(Conflict):
    msg_fmt = 'The Stack (%(stack_name)s) already exists.'


class NotSupported(Invalid):
    msg_fmt = '%(feature)s is not supported.'


class RequestLimitExceeded(Invalid):
    msg_fmt = 'Request limit exceeded: %(reason)s'

    def __init__(self, message=None, reason=None, **kwargs):
        # Heat raises it with message=<the reason>, which the base class
        # would take as the whole text; rebuilt from RPC it comes back as
        # (whole text, reason=...).
        if reason is None:
            reason, message = message, None
        super().__init__(message, reason=reason, **kwargs)


class InvalidTemplate(Invalid):
    msg_fmt = 'The template is invalid: %(reason)s'
    error_type = 'StackValidationFailed'


class InvalidParameter(Invalid):
    msg_fmt = 'Parameter \'%(name)s\' is invalid: %(reason)s'
    error_type = 'StackValidationFailed'


class BadRequest(Invalid):
    msg_fmt = ('The server could not comply with the request since it is '
               'either malformed or otherwise incorrect.')
    error_type = 'HTTPBadRequest'


class InvalidSchedule(Invalid):
    """A snapshot policy's cron expression or time zone is refused."""

    msg_fmt = 'The schedule is invalid: %(reason)s'


class InvalidRetention(Invalid):
    """A snapshot policy's retention rules are refused."""

    msg_fmt = 'The retention rules are invalid: %(reason)s'


# --- engine internals ----------------------------------------------------

class ResourceFailure(HeatSnapshotsException):
    """A resource plugin reports that its step failed."""

    msg_fmt = '%(reason)s'


class OperationTimeout(HeatSnapshotsException):
    msg_fmt = '%(operation)s timed out after %(seconds)s seconds'


class StackLockHeld(Conflict):
    """Another engine holds the stack: the caller sees Heat's 409."""

    msg_fmt = ('Stack %(stack_name)s already has an action (%(action)s) in '
               'progress.')
    error_type = 'ActionInProgress'


class EngineTimeout(ServiceUnavailable):
    msg_fmt = ('The engine did not answer within %(seconds)s seconds; no '
               'engine may be running.')


class InvalidStateTransition(HeatSnapshotsException):
    """A change of state that the state machine forbids: a bug."""

    msg_fmt = ('Invalid %(machine)s state transition from %(source)s to '
               '%(target)s')


class OperationFenced(HeatSnapshotsException):
    """This operation's hold on its stack was taken over: it must stop."""

    msg_fmt = ('Operation on stack %(stack_id)s no longer holds the stack '
               '(generation %(generation)s)')


class SnapshotInUse(Conflict):
    """Heat's 409 body, naming the operation that uses the snapshot."""

    error_type = 'ActionInProgress'
    msg_fmt = ('Snapshot %(snapshot_id)s is in use by the %(action)s of '
               'stack %(stack_name)s in progress.')


class ArtifactNotFound(NotFound):
    """A backup or image a snapshot recorded is gone from the cloud."""

    msg_fmt = ('The %(artifact)s (%(artifact_id)s) of resource '
               '%(resource)s in snapshot %(snapshot)s could not be found.')


class OperationCancelled(HeatSnapshotsException):
    """A user cancelled the snapshot or restore: its walk stops."""

    msg_fmt = 'Cancelled by request'


class NothingToCancel(Conflict):
    """Heat's 409 body: no snapshot or restore of it runs."""

    msg_fmt = ('Snapshot %(snapshot_id)s of stack %(stack_name)s has no '
               'snapshot or restore in progress to cancel.')


class PolicyNotFound(EntityNotFound):
    """A snapshot policy of another project is not found either."""

    def __init__(self, policy_id):
        super().__init__(entity='Snapshot policy', name=policy_id)
