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

"""The errors' messages, types and statuses, as callers see them."""

from heat_snapshots.common import exception
from heat_snapshots.tests import base


class MessageTest(base.TestCase):

    def test_message_formatted_from_the_keywords(self):
        error = exception.SnapshotNotFound(snapshot='s1', stack='st')
        self.assertEqual('The Snapshot (s1) for Stack (st) could not be '
                         'found.', str(error))
        self.assertEqual({'snapshot': 's1', 'stack': 'st'}, error.kwargs)

    def test_missing_keyword_keeps_the_format_not_a_key_error(self):
        error = exception.SnapshotNotFound(snapshot='s1')
        self.assertEqual(exception.SnapshotNotFound.msg_fmt, error.message)

    def test_explicit_message_wins(self):
        self.assertEqual('told', str(exception.Invalid('told', reason='x')))

    def test_status_codes(self):
        self.assertEqual((400, 403, 404, 409, 503), tuple(
            cls.code for cls in (exception.Invalid, exception.NotAuthorized,
                                 exception.NotFound, exception.Conflict,
                                 exception.ServiceUnavailable)))


class TypeNameTest(base.TestCase):

    def test_heats_names(self):
        self.assertEqual('EntityNotFound',
                         exception.StackNotFound('s').type_name)
        self.assertEqual('HTTPForbidden', exception.Forbidden().type_name)
        self.assertEqual('Forbidden', exception.PolicyNotAuthorized(
            action='x').type_name)
        self.assertEqual('NotFound', exception.SnapshotIdNotFound(
            snapshot_id='x').type_name)

    def test_own_class_name_without_an_error_type(self):
        self.assertEqual('Conflict', exception.Conflict().type_name)


class RebuiltOverRPCTest(base.TestCase):
    """oslo.messaging rebuilds an engine error as cls(message, **kwargs)."""

    def test_stack_not_found(self):
        sent = exception.StackNotFound('web')
        rebuilt = exception.StackNotFound(sent.message, **sent.kwargs)
        self.assertEqual('The Stack (web) could not be found.',
                         rebuilt.message)
        self.assertEqual('web', rebuilt.kwargs['name'])

    def test_resource_not_found(self):
        sent = exception.ResourceNotFound('server')
        self.assertEqual('The Resource (server) could not be found.',
                         sent.message)
        rebuilt = exception.ResourceNotFound(sent.message, **sent.kwargs)
        self.assertEqual(sent.message, rebuilt.message)

    def test_request_limit_exceeded_as_heat_raises_it_and_rebuilt(self):
        raised = exception.RequestLimitExceeded('too many')
        self.assertEqual('Request limit exceeded: too many', raised.message)
        rebuilt = exception.RequestLimitExceeded(raised.message,
                                                 **raised.kwargs)
        self.assertEqual(raised.message, rebuilt.message)
        self.assertEqual('too many', rebuilt.kwargs['reason'])


class UserMessageTest(base.TestCase):

    def test_our_errors_are_told(self):
        self.assertEqual('Invalid input: bad', exception.user_message(
            exception.Invalid(reason='bad'), 'req-1'))

    def test_other_errors_are_hidden_behind_the_request_id(self):
        message = exception.user_message(
            RuntimeError('mysql://root:secret@db/hs'), 'req-1')
        self.assertNotIn('secret', message)
        self.assertIn('req-1', message)

    def test_unsafe_own_errors_are_hidden(self):
        error = exception.Invalid(reason='internal detail')
        error.safe = False
        self.assertNotIn('internal detail',
                         exception.user_message(error, 'req-2'))
