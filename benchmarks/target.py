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

"""What a benchmark runs against: a deployment it starts, or an endpoint.

The deployments are started by benchmarks.launcher from the installed
console scripts: ``embedded`` is heat-snapshots-all on SQLite and the
in-process transport; ``mysql`` is heat-snapshots-api and N
heat-snapshots-engine processes on RabbitMQ and MariaDB. Both are started
with a heat.conf of their own (per-stack snapshot limit lifted, the walk
concurrency a benchmark asks for).
``external`` is an endpoint someone else runs (this service or a real
Heat), reached with noauth headers or a token.
"""

import http.client
import json
import math
import threading
import time
from urllib import parse
import uuid

import psutil

from benchmarks import launcher

POLL_INTERVAL = 0.05
# Once a snapshot may be done: a GET every 20 ms. Every 5 ms, the GETs
# (about 8 ms of CPU each, API and engine, on MariaDB) took up to half a
# core while the walk's last resources ended, and the walk at
# concurrency 50 measured 37.1 and 36.7 % over its ideal against 28.5 and
# 30.2 % with 25 ms (alternated, 7 runs each); 20 ms costs at most
# about 4 % of a 0.5 s ideal in resolution. The GETs are sent on that
# fixed schedule from the time the snapshot may be done: a sleep of 20 ms
# after each answer spaced them 24 to 26 ms apart (the GET's own time
# added to every interval), so the end of a walk was seen up to 5 % of
# the ideal late.
FINE_POLL_INTERVAL = 0.02
DEFAULT_TIMEOUT = 900


class Failed(Exception):
    """An operation ended FAILED, or did not end in time."""


def next_poll(last, interval, now):
    """When to send the next GET of a poll whose last one was sent at
    ``last``: the first time ``last + k * interval`` (k >= 1) that is not
    past ``now``. A poll slower than ``interval`` skips the times it missed
    instead of sending its GETs back to back.
    """
    due = last + interval
    if due < now:
        due += math.ceil((now - due) / interval) * interval
    return due


class Target:
    """An endpoint, a project, and the processes behind it (if ours)."""

    def __init__(self, name, endpoint, project, headers, deployment=None):
        self.name = name
        self.endpoint = endpoint.rstrip('/')
        self.project = project
        self.headers = dict(headers)
        self.deployment = deployment
        url = parse.urlsplit(self.endpoint)
        self.host, self.port = url.hostname, url.port or 80
        self.base = (url.path.rstrip('/') + '/v1/%s' % project)
        self._local = threading.local()

    def for_project(self, project):
        """The same endpoint and processes, as a caller of ``project``."""
        headers = dict(self.headers)
        if 'X-Auth-Project' in headers:
            headers['X-Auth-Project'] = project
        other = Target(self.name, self.endpoint, project, headers,
                       self.deployment)
        return other

    # --- processes ------------------------------------------------------

    def processes(self):
        """{role: psutil.Process} of the services (empty for external)."""
        found = {}
        if self.deployment is None:
            return found
        for process in self.deployment.processes:
            if not process.running():
                continue
            name = process.name
            if 'engine' in name:
                # heat-snapshots-engine-<n>: 'engine' for the first,
                # 'engine-<n>' for the others.
                number = name.rsplit('-', 1)[-1]
                role = 'engine' if number == '1' else 'engine-' + number
            elif name.startswith('heat-snapshots-all'):
                role = 'all'
            elif name.endswith('-api'):
                role = 'api'
            else:
                continue
            found[role] = psutil.Process(process.pid)
        return found

    def engine_processes(self):
        """The engine processes (heat-snapshots-all when embedded)."""
        return [proc for role, proc in sorted(self.processes().items())
                if role.startswith('engine') or role == 'all']

    def engine_process(self):
        procs = self.engine_processes()
        return procs[0] if procs else None

    def cpu(self):
        """{role: CPU seconds (user + system) so far}."""
        return cpu_seconds(self.processes())

    def engine_rss(self):
        """(current RSS, peak RSS) of the engine in bytes, or (None, None).
        """
        proc = self.engine_process()
        if proc is None:
            return None, None
        rss = proc.memory_info().rss
        peak = None
        try:
            with open('/proc/%d/status' % proc.pid) as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        peak = int(line.split()[1]) * 1024
        except OSError:
            pass
        return rss, peak

    # --- HTTP -------------------------------------------------------------

    def _connection(self):
        conn = getattr(self._local, 'conn', None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port,
                                              timeout=120)
            self._local.conn = conn
        return conn

    def request(self, method, path, body=None, expect=(200,)):
        """``method`` on /v1/<project><path>; :returns: (status, body)."""
        headers = dict(self.headers, Accept='application/json')
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers['Content-Type'] = 'application/json'
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, self.base + path, body=data,
                             headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, OSError):
                # A kept-alive connection the server closed: once more.
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        if response.status not in expect:
            raise Failed('%s %s: %s %s' % (method, path, response.status,
                                           raw[:500]))
        return response.status, (json.loads(raw) if raw else None)

    # --- stacks and snapshots -----------------------------------------

    def create_stack(self, resources, name=None, timeout=DEFAULT_TIMEOUT):
        """Create a stack of ``resources`` and wait for CREATE_COMPLETE.

        :returns: the stack path /stacks/<name>/<id>.
        """
        name = name or 'bench-%s' % uuid.uuid4().hex[:8]
        _, body = self.request('POST', '/stacks', {
            'stack_name': name,
            'template': {'heat_template_version': '2018-08-31',
                         'resources': resources}}, expect=(200, 201))
        path = '/stacks/%s/%s' % (name, body['stack']['id'])
        self.wait_stack(path, 'CREATE_COMPLETE', timeout)
        return path

    def stack_status(self, path):
        _, body = self.request('GET', path)
        stack = body['stack']
        return stack['stack_status'], stack.get('stack_status_reason')

    def wait_stack(self, path, wanted, timeout=DEFAULT_TIMEOUT,
                   sample=None, before=None):
        """Poll the stack until its status is ``wanted``.

        :param before: the status the stack showed before the request
            that is awaited: seen again, that request has not begun yet
            (Heat's engine answers a restore's 202 and only then marks the
            stack RESTORE_IN_PROGRESS, in a thread of its own), so it is
            no answer; any other status that is not IN_PROGRESS is.
        :raises: Failed on such a status, or after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            status, reason = self.stack_status(path)
            if status == wanted:
                return
            if not status.endswith('IN_PROGRESS') and status != before:
                raise Failed('stack %s: %s (%s), not %s'
                             % (path, status, reason, wanted))
            if time.monotonic() > deadline:
                raise Failed('stack %s still %s after %s s'
                             % (path, status, timeout))
            if sample:
                sample()
            time.sleep(POLL_INTERVAL)

    def delete_stack(self, path, timeout=DEFAULT_TIMEOUT):
        self.request('DELETE', path, expect=(204,))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.request('GET', path, expect=(200, 404))
            if status == 404 or body['stack']['stack_status'] == \
                    'DELETE_COMPLETE':
                return
            if body['stack']['stack_status'] == 'DELETE_FAILED':
                raise Failed('stack %s: DELETE_FAILED' % path)
            time.sleep(POLL_INTERVAL)
        raise Failed('stack %s not deleted after %s s' % (path, timeout))

    def snapshot(self, path, name=None, busy_timeout=30):
        """POST a snapshot; :returns: its id.

        Heat shows a snapshot COMPLETE a moment before its stack's action
        is: a snapshot POSTed then is refused with 409 ActionInProgress.
        That is retried every 0.1 s for up to ``busy_timeout`` s.
        """
        deadline = time.monotonic() + busy_timeout
        while True:
            status, body = self.request('POST', path + '/snapshots',
                                        {'name': name or 'bench'},
                                        expect=(200, 409))
            if status == 200:
                return body['id']
            if ('ActionInProgress' not in json.dumps(body) or
                    time.monotonic() > deadline):
                raise Failed('POST %s/snapshots: 409 %s' % (path, body))
            time.sleep(0.1)

    def wait_snapshot(self, path, snapshot_id, timeout=DEFAULT_TIMEOUT,
                      sample=None, not_before=None, seen=None):
        """The snapshot once COMPLETE, asked for every POLL_INTERVAL.

        :param not_before: (time.monotonic()) it cannot be COMPLETE
            before then: the first GET waits for it, and the GETs from
            then on are sent at not_before + k * FINE_POLL_INTERVAL, so
            the wall measured is neither up to a whole POLL_INTERVAL late
            nor slowed by GETs while the snapshot cannot be done.
        :param seen: a dict, given ``'running'``: when the last GET that
            found the snapshot IN_PROGRESS was sent (time.monotonic()), or
            None if none did. The snapshot ended after that and before
            this call returns.
        """
        sent = time.monotonic()
        deadline = sent + timeout
        interval = POLL_INTERVAL
        if not_before is not None:
            time.sleep(max(0.0, not_before - sent))
            sent = max(sent, not_before)
            interval = FINE_POLL_INTERVAL
        if seen is not None:
            seen['running'] = None
        while True:
            asked = time.monotonic()
            _, body = self.request('GET', '%s/snapshots/%s'
                                   % (path, snapshot_id))
            snapshot = body['snapshot']
            if snapshot['status'] == 'COMPLETE':
                return snapshot
            if snapshot['status'] != 'IN_PROGRESS':
                raise Failed('snapshot %s: %s (%s)' % (
                    snapshot_id, snapshot['status'],
                    snapshot['status_reason']))
            if seen is not None:
                seen['running'] = asked
            if time.monotonic() > deadline:
                raise Failed('snapshot %s not COMPLETE after %s s'
                             % (snapshot_id, timeout))
            if sample:
                sample()
            sent = next_poll(sent, interval, time.monotonic())
            time.sleep(max(0.0, sent - time.monotonic()))

    def delete_snapshot(self, path, snapshot_id, timeout=DEFAULT_TIMEOUT):
        """Delete a snapshot and wait until it is gone."""
        self.request('DELETE', '%s/snapshots/%s' % (path, snapshot_id),
                     expect=(204,))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _ = self.request('GET', '%s/snapshots/%s'
                                     % (path, snapshot_id),
                                     expect=(200, 404))
            if status == 404:
                return
            time.sleep(0.1)
        raise Failed('snapshot %s not deleted after %s s'
                     % (snapshot_id, timeout))

    def restore(self, path, snapshot_id):
        self.request('POST', '%s/snapshots/%s/restore' % (path, snapshot_id),
                     expect=(202,))


def cpu_seconds(processes):
    """{role: CPU seconds (user + system) so far} of ``processes`` ({role:
    psutil.Process}); a process gone is left out.
    """
    result = {}
    for role, proc in processes.items():
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        result[role] = times.user + times.system
    return result


def start(kind, overrides=None, engines=1):
    """Start a deployment of ``kind``; :returns: its Target.

    One engine by default, so that its CPU time and memory are the walk's.
    """
    deployment = launcher.KINDS[kind](overrides, engines)
    deployment.check_services()
    started = time.monotonic()
    deployment.start()
    project = 'bench-%s' % uuid.uuid4().hex[:8]
    target = Target(kind, deployment.endpoint, project, noauth(project),
                    deployment)
    target.started_in = time.monotonic() - started
    return target


def stop(target):
    if target.deployment is not None:
        target.deployment.stop()


def noauth(project, user=None, roles='member'):
    return {'X-Auth-User': user or 'bench-user', 'X-Auth-Project': project,
            'X-Roles': roles}


def external(endpoint, project, user=None, roles='member', token=None,
             name='external'):
    """An endpoint someone else runs; noauth headers, or a token."""
    headers = noauth(project, user, roles)
    if token:
        headers = {'X-Auth-Token': token}
    return Target(name, endpoint, project, headers)
