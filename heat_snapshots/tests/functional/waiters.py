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

"""Waiting for a status, as heat-tempest-plugin's waiters do.

Each waiter polls through the API with a short, growing interval and gives
up after HS_FUNCTIONAL_TIMEOUT seconds, naming what it saw last. A waiter
stops early on a FAILED status it was not waiting for.
"""

import time

from heat_snapshots.tests.functional import config

FIRST_INTERVAL = 0.05
MAX_INTERVAL = 0.5


class TimeoutException(AssertionError):
    """A status was not reached in time."""


class UnexpectedStatus(AssertionError):
    """A status that can no longer change into the wanted one."""


def wait_for(check, what, timeout=None):
    """Call ``check()`` until it returns (True, value); return the value.

    ``check`` returns (done, what was seen); it may raise
    UnexpectedStatus to stop the wait.
    """
    timeout = config.timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    interval = FIRST_INTERVAL
    while True:
        done, seen = check()
        if done:
            return seen
        if time.monotonic() >= deadline:
            raise TimeoutException('%s: not reached within %s s; last seen: '
                                   '%s' % (what, timeout, seen))
        time.sleep(interval)
        interval = min(interval * 1.5, MAX_INTERVAL)


def _json(response, what):
    if response.status_code != 200:
        raise UnexpectedStatus('%s: HTTP %s %s' % (what, response.status_code,
                                                   response.text))
    return response.json()


def wait_for_stack_status(caller, stack, status, timeout=None):
    """Wait for ``stack`` ('name/id') to show ``status``; its body.

    :raises: UnexpectedStatus on another *_FAILED status.
    """
    what = 'stack %s %s' % (stack, status)

    def check():
        body = _json(caller.get('/stacks/%s' % stack), what)['stack']
        seen = body['stack_status']
        if seen == status:
            return True, body
        if seen.endswith('_FAILED') and not status.endswith('_FAILED'):
            raise UnexpectedStatus('%s: stack is %s: %s' % (
                what, seen, body.get('stack_status_reason')))
        return False, '%s (%s)' % (seen, body.get('stack_status_reason'))
    return wait_for(check, what, timeout)


def wait_for_stack_deleted(caller, stack, timeout=None):
    """Wait until ``stack`` is DELETE_COMPLETE or not found."""
    what = 'stack %s deleted' % stack

    def check():
        response = caller.get('/stacks/%s' % stack)
        if response.status_code == 404:
            return True, None
        seen = _json(response, what)['stack']
        if seen['stack_status'] == 'DELETE_COMPLETE':
            return True, seen
        if seen['stack_status'] == 'DELETE_FAILED':
            raise UnexpectedStatus('%s: DELETE_FAILED: %s' % (
                what, seen.get('stack_status_reason')))
        return False, seen['stack_status']
    return wait_for(check, what, timeout)


def wait_for_snapshot_status(caller, stack, snapshot_id, status='COMPLETE',
                             timeout=None):
    """Wait for the snapshot to reach ``status``; its body.

    :raises: UnexpectedStatus when it reaches another final status.
    """
    what = 'snapshot %s of stack %s %s' % (snapshot_id, stack, status)

    def check():
        body = _json(caller.get('/stacks/%s/snapshots/%s'
                                % (stack, snapshot_id)), what)['snapshot']
        if body['status'] == status:
            return True, body
        if body['status'] in ('COMPLETE', 'FAILED'):
            raise UnexpectedStatus('%s: snapshot is %s_%s: %s' % (
                what, body['action'], body['status'],
                body['status_reason']))
        return False, '%s_%s' % (body['action'], body['status'])
    return wait_for(check, what, timeout)


def wait_for_snapshot_deleted(caller, stack, snapshot_id, timeout=None):
    """Wait until the snapshot answers 404."""
    what = 'snapshot %s of stack %s deleted' % (snapshot_id, stack)

    def check():
        response = caller.get('/stacks/%s/snapshots/%s'
                              % (stack, snapshot_id))
        if response.status_code == 404:
            return True, response
        body = _json(response, what)['snapshot']
        if body['status'] == 'FAILED':
            raise UnexpectedStatus('%s: %s_FAILED: %s' % (
                what, body['action'], body['status_reason']))
        return False, '%s_%s' % (body['action'], body['status'])
    return wait_for(check, what, timeout)
