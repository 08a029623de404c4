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

"""Engine errors as a caller sees them after a real broker's round trip.

The in-process transport hands the engine's exception object over as it
is; RabbitMQ serializes it and oslo.messaging rebuilds a subclass named
<Name>_Remote. Both must give Heat's error type, status and message.
"""


import oslo_messaging as messaging

from heat_snapshots.api import fault
from heat_snapshots.common import exception
from heat_snapshots.common import rpc
from heat_snapshots.tests import base

ENGINE_ERRORS = [
    (exception.StackNotFound('web'), 404, 'EntityNotFound',
     'The Stack (web) could not be found.'),
    (exception.ResourceNotFound('db'), 404, 'EntityNotFound',
     'The Resource (db) could not be found.'),
    (exception.SnapshotIdNotFound(snapshot_id='x'), 404, 'NotFound',
     'Snapshot with id x not found'),
    (exception.SnapshotNotFound(snapshot='x', stack='web'), 404,
     'SnapshotNotFound',
     'The Snapshot (x) for Stack (web) could not be found.'),
    (exception.ActionInProgress(stack_name='web', action='SNAPSHOT'), 409,
     'ActionInProgress',
     'Stack web already has an action (SNAPSHOT) in progress.'),
    (exception.StackLockHeld(stack_name='web', action='RESTORE'), 409,
     'ActionInProgress',
     'Stack web already has an action (RESTORE) in progress.'),
    (exception.NotSupported(feature='Restoring incomplete snapshot'), 400,
     'NotSupported', 'Restoring incomplete snapshot is not supported.'),
    (exception.RequestLimitExceeded(message='too many'), 400,
     'RequestLimitExceeded', 'Request limit exceeded: too many'),
    (exception.InvalidTemplate(reason='bad'), 400, 'StackValidationFailed',
     'The template is invalid: bad'),
    (exception.StackExists(stack_name='web'), 409, 'StackExists',
     'The Stack (web) already exists.'),
    (exception.PolicyNotAuthorized(action='stacks:snapshot'), 403,
     'Forbidden', 'Policy doesn\'t allow stacks:snapshot to be performed.'),
    (exception.EngineTimeout(seconds=60), 503, 'EngineTimeout',
     'The engine did not answer within 60 seconds; no engine may be '
     'running.'),
]


class DBError(Exception):
    """An error of a module the API does not accept from RPC."""


def through_broker(error):
    """``error`` as oslo.messaging re-raises it from a remote engine.

    As its deserialisation does: an exception of a module the caller
    allows comes back as a subclass named <Name>_Remote built from the
    exception's kwargs, whose str() is the remote message; any other as
    RemoteError naming its type.
    """
    cls = type(error)
    if cls.__module__ not in rpc.ALLOWED_EXMODS:
        return messaging.RemoteError(cls.__name__, str(error), 'Traceback')
    message = str(error)
    remote_cls = type(cls.__name__ + '_Remote', (cls,),
                      {'__str__': lambda self: message,
                       '__module__': cls.__module__})
    remote = remote_cls(**getattr(error, 'kwargs', {}))
    remote.args = (message,) + remote.args[1:]
    return remote


class FaultBodyTest(base.TestCase):

    def test_engine_errors_keep_heats_type_status_and_message(self):
        for error, status, error_type, message in ENGINE_ERRORS:
            for seen in (error, through_broker(error)):
                code, body = fault.fault_body(seen)
                self.assertEqual(
                    (status, error_type, message),
                    (code, body['error']['type'],
                     body['error']['message']), type(seen).__name__)
                self.assertEqual(status, body['code'])
                self.assertIsNone(body['error']['traceback'])
        self.assertTrue(type(through_broker(ENGINE_ERRORS[0][0])).__name__
                        .endswith('_Remote'))

    def test_an_error_the_api_does_not_know_is_500_without_message(self):
        unknown = through_broker(DBError('password=secret'))
        code, body = fault.fault_body(unknown)
        self.assertEqual((500, 'RemoteError'),
                         (code, body['error']['type']))
        self.assertNotIn('message', body['error'])
        self.assertEqual('Internal Server Error', body['title'])

    def test_response_is_json_with_heats_key_order(self):
        response = fault.fault_response(exception.StackNotFound('web'))
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(
            b'{"code": 404, "title": "Not Found", "explanation": "The '
            b'resource could not be found.", "error": {"type": '
            b'"EntityNotFound", "traceback": null, "message": "The Stack '
            b'(web) could not be found."}}', response.body)
