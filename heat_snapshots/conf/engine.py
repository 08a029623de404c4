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

import socket

from oslo_config import cfg

GROUP = 'heat_snapshots'

opts = [
    cfg.StrOpt('host',
               default=socket.gethostname(),
               sample_default='<hostname>',
               help='Name of this engine host, recorded with every lock and '
                    'heartbeat it writes.'),
    cfg.StrOpt('topic',
               default='heat-snapshots-engine',
               help='RPC topic the engines listen on.'),
    cfg.StrOpt('stack_driver',
               default='local',
               help='Where stacks live: "local" (our own stack store, the '
                    'embedded default) or "heat" (a Heat service reached '
                    'through its REST API). Loaded from the '
                    'heat_snapshots.stacks entry point group.'),
    cfg.IntOpt('max_snapshots_per_stack',
               default=32,
               min=-1,
               help='Maximum number of snapshots of one stack; -1 means '
                    'unlimited. Admin callers are exempt, as in Heat.'),
    cfg.IntOpt('walk_concurrency',
               default=10,
               min=1,
               help='Number of resources of one stack handled in parallel '
                    'during a snapshot, restore or snapshot delete walk. '
                    'A resource whose snapshot is done no longer counts '
                    'while its end is written: the next one starts '
                    'meanwhile.'),
    cfg.IntOpt('walk_workers',
               default=10,
               min=1,
               help='Number of threads of one snapshot or snapshot delete '
                    'walk that call resource plugins (at most '
                    'walk_concurrency). A resource waiting for its plugin '
                    'to finish (between two completion checks) holds no '
                    'thread, so a few threads keep walk_concurrency '
                    'resources in progress; more help only plugins whose '
                    'calls block for long. Threads start only once the '
                    'busy ones have been in such calls for a few '
                    'milliseconds: a walk whose calls do not block runs '
                    'on one.'),
    cfg.IntOpt('operation_workers',
               default=16,
               min=1,
               help='Number of snapshot, restore and delete operations one '
                    'engine process runs at the same time; further requests '
                    'wait in a queue.'),
    cfg.IntOpt('workers',
               default=1,
               min=1,
               help='Number of engine processes heat-snapshots-engine '
                    'starts.'),
    cfg.IntOpt('malloc_arena_max',
               default=2,
               min=0,
               help='Most malloc arenas (glibc) each heat-snapshots process '
                    'makes, set as it starts. glibc gives each thread an '
                    'arena of its own, up to eight per core, and an arena '
                    'keeps its high-water mark, so the resident memory of a '
                    'process with many threads grows with the largest '
                    'writes each thread once made. 0 leaves glibc\'s '
                    'default; MALLOC_ARENA_MAX in the environment wins '
                    'over this option. Ignored on other C libraries.'),
    cfg.IntOpt('action_timeout',
               default=3600,
               min=1,
               help='Seconds a snapshot, restore or snapshot delete may run '
                    'before it is failed.'),
    cfg.FloatOpt('check_interval',
                 default=0.05,
                 min=0.001,
                 help='Seconds before the first check that a resource has '
                      'finished its snapshot, restore or delete; the wait '
                      'grows by check_backoff up to check_interval_max.'),
    cfg.FloatOpt('check_backoff',
                 default=1.5,
                 min=1.0,
                 help='Factor by which the wait between completion checks '
                      'grows.'),
    cfg.FloatOpt('check_interval_max',
                 default=2.0,
                 min=0.01,
                 help='Longest wait between two completion checks.'),
    cfg.IntOpt('heartbeat_interval',
               default=5,
               min=1,
               help='Seconds between two heartbeats of an engine, and '
                    'between two looks for work left by dead engines.'),
    cfg.IntOpt('engine_down_time',
               default=30,
               min=2,
               help='Seconds without a heartbeat after which an engine is '
                    'taken for dead: its stack locks are taken over and '
                    'its operations in progress are finished or failed.'),
    cfg.IntOpt('reconcile_interval',
               default=600,
               min=1,
               help='Seconds between two looks for artifacts (backups, '
                    'images) of ours that no snapshot references; those '
                    'found are deleted.'),
    cfg.IntOpt('reconcile_min_age',
               default=7200,
               min=0,
               help='Seconds an artifact must have been recorded in the '
                    'artifact ledger before the reconciler considers it: '
                    'younger ones may belong to work still running (a '
                    'snapshot being taken or deleted). Keep it above '
                    'action_timeout.'),
    cfg.BoolOpt('reconcile_report_only',
                default=False,
                help='Only log the orphaned artifacts the reconciler finds '
                     '(as "heat-snapshots-manage artifacts audit" prints '
                     'them) and delete nothing.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
