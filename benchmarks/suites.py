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

"""The benchmarks. Each takes a Runner and returns a list of Results.

Targets (the multi-process deployment on MariaDB + RabbitMQ, a 2-core
machine) are attached to the ``mysql`` deployment's rows only; the other
deployments' rows are reported for comparison.
"""

import collections
import math
import threading
import time
import uuid

import sqlalchemy as sa

from benchmarks import launcher
from benchmarks import rpc_floor
from benchmarks.stats import percentile
from benchmarks.stats import Result
from benchmarks.target import cpu_seconds
from benchmarks.target import Failed

MB = 1024.0 * 1024.0


def _roles_delta(before, after):
    return {role: after[role] - before.get(role, 0.0) for role in after}


def template_resources(count, rtype, properties=None, chain=False):
    """A template's ``resources`` section: ``count`` resources of type
    ``rtype`` named r0000, r0001, ...; with ``chain`` each depends on the
    one before. Shared with tools/ and benchmarks/profile.py, which
    measure the same stacks as the suites.
    """
    resources = {}
    for i in range(count):
        name = 'r%04d' % i
        resources[name] = {'type': rtype}
        if properties:
            resources[name]['properties'] = properties
        if chain and i:
            resources[name]['depends_on'] = 'r%04d' % (i - 1)
    return resources


# --- 2. snapshot and restore at scale --------------------------------------

def scale(runner):
    results = []
    failed = []
    with runner.target() as target:
        for rtype in runner.types:
            for count in runner.sizes:
                try:
                    results.extend(_scale_one(runner, target, rtype, count))
                except Failed as error:
                    # The other sizes still run (Heat fails some); the
                    # figures of a size's runs before its failure stay.
                    results.extend(getattr(error, 'results', []))
                    failed.append('%s: %s' % (scale_case(rtype, count),
                                              error))
    if failed:
        raise SuiteFailed(results, failed)
    return results


def scale_case(rtype, count):
    """The case of a scale row: a stack of ``count`` ``rtype``."""
    return '%s x %d' % (rtype, count)


def _scale_one(runner, target, rtype, count):
    runner.log('scale: %s x %d: creating the stack', rtype, count)
    started = time.monotonic()
    path = target.create_stack(template_resources(count, rtype))
    runner.log('scale: stack created in %.1f s', time.monotonic() - started)
    snap_times, restore_times = [], []
    snap_cpu, restore_cpu = {}, {}
    sampled = []

    def sample():
        rss, _ = target.engine_rss()
        if rss is not None:
            sampled.append(rss)

    failure = None
    for run in range(runner.runs):
        cpu0 = target.cpu()
        t0 = time.monotonic()
        try:
            snapshot_id = target.snapshot(path, 'scale-%d' % run)
            target.wait_snapshot(path, snapshot_id, sample=sample)
            t1 = time.monotonic()
            cpu1 = target.cpu()
            # Outside both timings: the status a restore not yet begun
            # still shows.
            before, _ = target.stack_status(path)
            restore_t0, restore_cpu0 = time.monotonic(), target.cpu()
            target.restore(path, snapshot_id)
            target.wait_stack(path, 'RESTORE_COMPLETE', sample=sample,
                              before=before)
        except Failed as error:
            if not run:
                raise
            # Heat's legacy engine fails a later run of a stack ("Maximum
            # number of threads reached"): the runs before it are kept.
            runner.log('scale: %s x %d run %d failed: %s', rtype, count,
                       run + 1, error)
            failure = error
            break
        t2 = time.monotonic()
        cpu2 = target.cpu()
        snap_times.append(t1 - t0)
        restore_times.append(t2 - restore_t0)
        for role, value in _roles_delta(cpu0, cpu1).items():
            snap_cpu.setdefault(role, []).append(value)
        for role, value in _roles_delta(restore_cpu0, cpu2).items():
            restore_cpu.setdefault(role, []).append(value)
        runner.log('scale: %s x %d run %d: snapshot %.3f s, restore %.3f s',
                   rtype, count, run + 1, t1 - t0, restore_times[-1])
        # The snapshot stays: a stack keeps up to 32 in ordinary use.
    case = scale_case(rtype, count)
    note = ''
    if failure is not None:
        note = '%d of %d runs: run %d failed' % (len(snap_times),
                                                 runner.runs,
                                                 len(snap_times) + 1)
    out = [
        Result(runner.kind, 'scale', case, 'snapshot wall', 's', snap_times,
               note=note),
        Result(runner.kind, 'scale', case, 'restore wall', 's',
               restore_times, note=note),
    ]
    for role in sorted(snap_cpu):
        out.append(Result(runner.kind, 'scale', case,
                          'snapshot CPU %s' % role, 's', snap_cpu[role]))
    engine = [role for role in snap_cpu if role in ('engine', 'all')]
    if engine:
        # (Of a process measured in 10 ms steps: a figure of many
        # resources.)
        out.append(Result(runner.kind, 'scale', case,
                          'snapshot engine CPU per resource', 'ms',
                          [value / count * 1000
                           for value in snap_cpu[engine[0]]],
                          note='the engine process' if engine[0] == 'engine'
                          else 'the one process: API and engine'))
    for role in sorted(restore_cpu):
        out.append(Result(runner.kind, 'scale', case,
                          'restore CPU %s' % role, 's', restore_cpu[role]))
    _, peak = target.engine_rss()
    if peak is not None:
        out.append(Result(runner.kind, 'scale', case, 'engine peak RSS',
                          'MB', [peak / MB],
                          note='VmHWM since start; sampled max %.1f MB'
                               % (max(sampled) / MB if sampled else 0)))
    try:
        target.delete_stack(path)
    except Failed as error:
        if failure is None:
            raise
        # (Heat, out of threads, may fail the delete too.)
        runner.log('scale: %s x %d: the stack was not deleted: %s', rtype,
                   count, error)
    if failure is not None:
        failure.results = out
        raise failure
    return out


# --- 3. parallel walk -------------------------------------------------------

def parallel(runner):
    results = []
    count, wait = runner.parallel_n, runner.parallel_wait
    properties = {'action_wait_secs': {'snapshot': wait}}
    for concurrency in runner.concurrencies:
        overrides = {'heat_snapshots': {'walk_concurrency': concurrency}}
        with runner.target(overrides) as target:
            ideal = wait * math.ceil(count / concurrency)
            walls, running = _timed_snapshots(
                runner, target,
                template_resources(count, 'OS::Heat::TestResource',
                                   properties),
                'parallel c=%d' % concurrency, ideal)
            case = 'N=%d d=%gs c=%d' % (count, wait, concurrency)
            results.append(Result(
                runner.kind, 'parallel', case, 'wall', 's', walls,
                note='ideal %.2f s' % ideal))
            results.extend(_over_ideal(runner, case, ideal, walls, running))
            if concurrency == max(runner.concurrencies):
                results.extend(_chain(runner, target, properties))
    return results


def _timed_snapshots(runner, target, resources, what, ideal, check=None):
    """Walls of snapshots of a stack of ``resources``; none can be done
    before ``ideal`` seconds (see Target.wait_snapshot's not_before).
    """
    path = target.create_stack(resources)
    walls, running = [], []
    for run in range(runner.runs):
        t0 = time.monotonic()
        snapshot_id = target.snapshot(path, 'walk-%d' % run)
        seen = {}
        target.wait_snapshot(path, snapshot_id, not_before=t0 + ideal,
                             seen=seen)
        walls.append(time.monotonic() - t0)
        # A snapshot seen COMPLETE at its first GET ended after its ideal
        # all the same: its plugins' waits take that long.
        running.append(ideal if seen['running'] is None
                       else seen['running'] - t0)
        runner.log('%s run %d: %.3f s (running at %.3f s)', what, run + 1,
                   walls[-1], running[-1])
        if check is not None:
            check(snapshot_id)
        target.delete_snapshot(path, snapshot_id)
    target.delete_stack(path)
    return walls, running


def _over_ideal(runner, case, ideal, walls, running):
    """The walls over the ideal, as the client saw them end (the target's
    figure), and the last time it saw them running: each walk ended
    between the two.
    """
    return [
        Result(runner.kind, 'parallel', case, 'over ideal', '%',
               [100.0 * (w - ideal) / ideal for w in walls]),
        Result(runner.kind, 'parallel', case, 'still running at', '%',
               [100.0 * (r - ideal) / ideal for r in running],
               note='last GET that saw it IN_PROGRESS: it ended between '
                    'this and "over ideal"'),
    ]


def _chain(runner, target, properties):
    """Each resource depends on the previous: the walk is one lane."""
    count, wait = runner.chain_n, runner.parallel_wait
    ideal = wait * count
    orders = []

    def check(snapshot_id):
        url = getattr(target.deployment, 'db_url', None)
        if not url:
            return
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text(
                    'SELECT resource_name FROM hs_resource_snapshots '
                    'WHERE snapshot_id = :id ORDER BY id'),
                    {'id': snapshot_id}).fetchall()
        finally:
            engine.dispose()
        # Rows are inserted when a resource starts: ids follow the chain.
        names = [row[0] for row in rows]
        orders.append(names == sorted(names) and len(names) == count)

    walls, running = _timed_snapshots(
        runner, target,
        template_resources(count, 'OS::Heat::TestResource', properties,
                           chain=True),
        'chain', ideal, check)
    concurrency = max(runner.concurrencies)
    case = 'chain N=%d d=%gs c=%d' % (count, wait, concurrency)
    note = 'ideal %.2f s (one lane)' % ideal
    if orders:
        note += '; started in dependency order: %s' % (
            'yes' if all(orders) else 'NO')
    return [
        Result(runner.kind, 'parallel', case, 'wall', 's', walls,
               note=note),
    ] + _over_ideal(runner, case, ideal, walls, running)


# --- 4. API latency and throughput -----------------------------------------

def api(runner):
    results = []
    with runner.target() as target:
        runner.log('api: stack of %d resources, %d snapshots',
                   runner.api_resources, runner.api_snapshots)
        path = target.create_stack(template_resources(
            runner.api_resources, 'OS::Heat::None'))
        snapshot_ids = []
        for i in range(runner.api_snapshots):
            snapshot_ids.append(target.snapshot(path, 'api-%d' % i))
            target.wait_snapshot(path, snapshot_ids[-1])
        operations = {
            'show': lambda: target.request(
                'GET', '%s/snapshots/%s' % (path, snapshot_ids[0])),
            'list': lambda: target.request('GET', path + '/snapshots'),
        }
        _, listed = operations['list']()
        assert len(listed['snapshots']) == runner.api_snapshots
        floor = _floor(runner, target, operations['show'])
        try:
            results.extend(_api_loads(runner, target, operations, floor))
        finally:
            if floor is not None:
                floor.stop()
        target.delete_stack(path)
    return results


def _floor(runner, target, show):
    """The RPC floor (benchmarks/rpc_floor.py) beside a deployment whose
    API calls its engine through a broker: it answers as many chars as
    the show's reply, packed as the engine packs it. None for the others.
    """
    if runner.kind != 'mysql':
        return None
    _status, shown = show()
    return rpc_floor.Floor(launcher.transport_url(),
                           rpc_floor.reply_size(shown),
                           project=target.project)


def _api_loads(runner, target, operations, floor):
    """Each operation's load by each number of clients; with a floor,
    the bare call by one client after each run of the show by one, and
    the show's p50 over the floor's of the same round.
    """
    results = []
    for op, call in operations.items():
        for clients in runner.clients:
            p50s, p99s, rates, cpus = [], [], [], {}
            beside = floor if (op, clients) == ('show', 1) else None
            floors = []
            for run in range(runner.runs):
                cpu0 = target.cpu()
                latencies, elapsed = _load(call, clients,
                                           runner.api_duration)
                cpu1 = target.cpu()
                p50s.append(percentile(latencies, 50) * 1000)
                p99s.append(percentile(latencies, 99) * 1000)
                rates.append(len(latencies) / elapsed)
                for role, value in _roles_delta(cpu0, cpu1).items():
                    cpus.setdefault(role, []).append(
                        value / len(latencies) * 1000)
                runner.log('api: %s x %d clients run %d: p50 %.1f ms '
                           'p99 %.1f ms %.0f req/s', op, clients,
                           run + 1, p50s[-1], p99s[-1], rates[-1])
                if beside is not None:
                    floors.append(one_client(beside.call,
                                             beside.processes(),
                                             runner.api_duration))
                    runner.log('api: rpc floor run %d: p50 %.2f ms',
                               run + 1, floors[-1][0])
            case = '%s, %d client%s' % (op, clients,
                                        's' if clients > 1 else '')
            for metric, unit, values in (('p50', 'ms', p50s),
                                         ('p99', 'ms', p99s),
                                         ('rps', 'req/s', rates)):
                results.append(Result(runner.kind, 'api', case, metric,
                                      unit, values))
            for role in sorted(cpus):
                results.append(Result(
                    runner.kind, 'api', case, 'CPU %s per request' % role,
                    'ms', cpus[role]))
            if len(cpus) > 1:
                results.append(Result(
                    runner.kind, 'api', case,
                    'CPU %s per request' % ' + '.join(sorted(cpus)), 'ms',
                    [sum(each) for each in zip(*cpus.values())]))
            if floors:
                results.extend(_floor_rows(runner, case, p50s, floors))
    return results


def one_client(call, processes, duration):
    """(p50 ms, {role: CPU ms per call}) of ``call`` by one client, the
    CPU of ``processes`` ({role: psutil.Process}).
    """
    before = cpu_seconds(processes)
    latencies, _elapsed = _load(call, 1, duration)
    after = cpu_seconds(processes)
    return (percentile(latencies, 50) * 1000,
            {role: value / len(latencies) * 1000
             for role, value in _roles_delta(before, after).items()})


def _floor_rows(runner, case, p50s, floors):
    floor_case = 'rpc floor, 1 client'
    rows = [Result(runner.kind, 'api', floor_case, 'p50', 'ms',
                   [p50 for p50, _cpu in floors],
                   note='a bare oslo.messaging call answering as many '
                        'chars as the show, after each of its runs')]
    for role in sorted(floors[0][1]):
        rows.append(Result(runner.kind, 'api', floor_case,
                           'CPU %s per call' % role, 'ms',
                           [cpu.get(role, 0.0) for _p50, cpu in floors]))
    rows.append(Result(runner.kind, 'api', case, 'p50 / rpc floor p50',
                       'x', [show / floor for show, (floor, _cpu)
                             in zip(p50s, floors)],
                       note='each run over the floor run after it'))
    return rows


def _load(call, clients, duration):
    """``clients`` threads calling ``call`` for ``duration`` seconds.

    :returns: (latencies in seconds, elapsed seconds).
    """
    latencies = []
    lock = threading.Lock()
    errors = []
    start = threading.Event()
    warm_until = [0.0]
    stop_at = [0.0]

    def worker():
        mine = []
        start.wait()
        try:
            while True:
                t0 = time.monotonic()
                if t0 >= stop_at[0]:
                    break
                call()
                t1 = time.monotonic()
                if t0 >= warm_until[0]:
                    mine.append(t1 - t0)
        except Exception as error:
            errors.append(error)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    now = time.monotonic()
    warm = min(0.5, duration / 4)
    warm_until[0] = now + warm
    stop_at[0] = now + warm + duration
    start.set()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return latencies, duration


# --- 5. memory ------------------------------------------------------------

def memory(runner):
    results = []
    with runner.target() as target:
        if target.engine_process() is None:
            runner.log('memory: no engine process to measure; skipped')
            return results
        count = runner.memory_resources
        runner.log('memory: stack of %d resources, %d snapshots', count,
                   runner.memory_snapshots)
        path = target.create_stack(template_resources(count, 'OS::Heat::None'))
        rss0, _ = target.engine_rss()
        batches = []
        done = 0
        while done < runner.memory_snapshots:
            for _ in range(runner.memory_batch):
                snapshot_id = target.snapshot(path, 'mem-%d' % done)
                target.wait_snapshot(path, snapshot_id)
                done += 1
            rss, peak = target.engine_rss()
            batches.append(rss / MB)
            runner.log('memory: after %d snapshots: RSS %.1f MB (peak %.1f)',
                       done, rss / MB, peak / MB)
            results.append(Result(
                runner.kind, 'memory', '%d x None' % count,
                'RSS after %3d snapshots' % done, 'MB', [rss / MB]))
        growth = batches[-1] - batches[min(1, len(batches) - 1)]
        results.append(Result(
            runner.kind, 'memory', '%d x None' % count,
            'RSS growth, batch 2 to last', 'MB', [growth],
            note='RSS before the first snapshot %.1f MB' % (rss0 / MB)))
        target.delete_stack(path)
    return results


# --- fleet: many stacks snapshotted at once -----------------------------

def fleet(runner):
    """A nightly policy: every stack of a fleet snapshotted at once."""
    results = []
    failed = []
    engines_list = (runner.fleet_engines if runner.kind == 'mysql'
                    else [1])
    for engines in engines_list:
        try:
            with runner.target(engines=engines) as target:
                results.extend(_fleet_one(runner, target, engines))
        except SuiteFailed as error:
            results.extend(error.results)
            failed.extend('%d engine(s): %s' % (engines, failure)
                          for failure in error.failures)
        except Exception as error:
            failed.append('%d engine(s): %s' % (engines, error))
    if failed:
        raise SuiteFailed(results, failed)
    return results


class _Sampler:
    """Samples, every ``interval`` s in a thread, the engines' RSS and the
    database connections of the deployment; keeps the largest.
    """

    def __init__(self, target, interval=0.25):
        self.target = target
        self.interval = interval
        self.rss = {}
        self.connections = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._db = None
        deployment = target.deployment
        if getattr(deployment, 'database', None):
            self._db = sa.create_engine(
                deployment.server.set(database=None),
                pool_size=1, max_overflow=0)
            self._query = sa.text(
                'SELECT COUNT(*) FROM information_schema.processlist '
                'WHERE db = :db')
            self._name = deployment.database

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self._db is not None:
            self._db.dispose()

    def _run(self):
        while not self._stop.is_set():
            for number, proc in enumerate(self.target.engine_processes()):
                try:
                    rss = proc.memory_info().rss
                except Exception:  # nosec: a process that just ended
                    continue
                self.rss[number] = max(self.rss.get(number, 0), rss)
            if self._db is not None:
                with self._db.connect() as conn:
                    # Our own sampling connection has no database.
                    count = conn.execute(self._query,
                                         {'db': self._name}).scalar()
                self.connections = max(self.connections or 0, count)
            self._stop.wait(self.interval)


def _in_threads(count, items, function):
    """``function(item)`` for each item, in ``count`` threads.

    :returns: the errors raised, as (item, error).
    """
    items = list(items)
    lock = threading.Lock()
    errors = []

    def worker():
        while True:
            with lock:
                if not items:
                    return
                item = items.pop(0)
            try:
                function(item)
            except Exception as error:
                with lock:
                    errors.append((item, error))

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _fleet_one(runner, target, engines):
    stacks, per_stack = runner.fleet_stacks, runner.fleet_resources
    case = '%d stacks x %d None' % (stacks, per_stack)
    eng = '%d eng: ' % engines
    # A nightly policy crosses projects: 10 stacks per project (Heat
    # limits the stacks of one project, max_stacks_per_tenant = 100).
    run_id = uuid.uuid4().hex[:6]
    projects = [target.for_project('%s-%s-f%02d' % (target.project, run_id,
                                                    i // 10))
                for i in range(stacks)]
    paths = [None] * stacks
    runner.log('fleet: creating %d stacks of %d resources (%s)', stacks,
               per_stack, case)
    started = time.monotonic()

    def create(i):
        paths[i] = projects[i].create_stack(
            template_resources(per_stack, 'OS::Heat::None'),
            name='fleet-%03d' % i)
    errors = _in_threads(runner.fleet_clients, range(stacks), create)
    if errors:
        raise errors[0][1]
    runner.log('fleet: created in %.1f s', time.monotonic() - started)
    snapshot_ids = [None] * stacks
    done_at = [None] * stacks
    failures = []
    cpu0 = target.cpu()
    with _Sampler(target) as sampler:
        t0 = time.monotonic()

        def post(i):
            snapshot_ids[i] = projects[i].snapshot(paths[i], 'nightly')
        errors = _in_threads(runner.fleet_clients, range(stacks), post)
        posted = time.monotonic() - t0
        failures.extend('POST %s: %s' % (paths[i], error)
                        for i, error in errors)
        outstanding = [i for i in range(stacks)
                       if snapshot_ids[i] is not None]

        # fleet_clients threads GET the outstanding snapshots in turn
        # (round robin): bounded load, each stack seen about every
        # len(outstanding) / fleet_clients requests.
        queue = collections.deque(outstanding)
        lock = threading.Lock()

        def watch():
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.popleft()
                try:
                    _, body = projects[i].request(
                        'GET', '%s/snapshots/%s' % (paths[i],
                                                    snapshot_ids[i]))
                    status = body['snapshot']['status']
                    if status == 'COMPLETE':
                        done_at[i] = time.monotonic() - t0
                        continue
                    if status != 'IN_PROGRESS':
                        raise Failed('%s' % body['snapshot'].get(
                            'status_reason'))
                    if time.monotonic() - t0 > runner.fleet_timeout:
                        raise Failed('still IN_PROGRESS after %d s'
                                     % runner.fleet_timeout)
                except Exception as error:
                    with lock:
                        failures.append('%s: %s' % (paths[i], error))
                    continue
                with lock:
                    queue.append(i)
                time.sleep(runner.fleet_poll)
        watchers = [threading.Thread(target=watch)
                    for _ in range(runner.fleet_clients)]
        for thread in watchers:
            thread.start()
        for thread in watchers:
            thread.join()
        wall = time.monotonic() - t0
    cpu1 = target.cpu()
    times = [t for t in done_at if t is not None]
    runner.log('fleet: %d of %d COMPLETE in %.1f s (POSTs %.1f s)',
               len(times), stacks, wall, posted)
    out = [Result(runner.kind, 'fleet', case, eng + 'total wall', 's',
                  [wall],
                  note='POSTs took %.1f s; %d failed' % (
                      posted, stacks - len(times)))]
    if times:
        p50, p99 = percentile(times, 50), percentile(times, 99)
        out += [
            Result(runner.kind, 'fleet', case, eng + 'stack done p50', 's',
                   [p50]),
            Result(runner.kind, 'fleet', case, eng + 'stack done p99', 's',
                   [p99]),
            Result(runner.kind, 'fleet', case, eng + 'p99 / p50', '',
                   [p99 / p50], note='no stack starved'),
        ]
    engine_cpu = sum(value for role, value in _roles_delta(cpu0,
                                                           cpu1).items()
                     if role.startswith('engine') or role == 'all')
    if cpu1:
        out.append(Result(runner.kind, 'fleet', case,
                          eng + 'engine CPU per resource', 'ms',
                          [engine_cpu / (stacks * per_stack) * 1000],
                          note='all engines, %.1f s in all' % engine_cpu))
    if sampler.connections is not None:
        out.append(Result(runner.kind, 'fleet', case,
                          eng + 'DB connections', '',
                          [sampler.connections],
                          note='most seen at once, all processes'))
    for number, rss in sorted(sampler.rss.items()):
        out.append(Result(runner.kind, 'fleet', case,
                          eng + 'engine %d RSS max' % (number + 1), 'MB',
                          [rss / MB]))
    if failures:
        # Reported with the figures, as the run's failure.
        runner.log('fleet: %d failures, first: %s', len(failures),
                   failures[0])
        raise SuiteFailed(out, failures)
    return out


class SuiteFailed(Exception):
    """Some of a suite's snapshots failed (a fleet's, a scale case's);
    ``results`` has the figures of the rest.
    """

    def __init__(self, results, failures):
        self.results = results
        self.failures = failures
        super().__init__('%d snapshot(s) failed; first: %s'
                         % (len(failures), failures[0]))


SUITES = {'scale': scale, 'parallel': parallel, 'api': api,
          'memory': memory, 'fleet': fleet}
