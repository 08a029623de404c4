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

"""The [database] group is oslo.db's, shared with Heat; our own database
options are in [heat_snapshots_database]."""

from oslo_config import cfg
from oslo_db import options as db_options

from heat_snapshots.conf import paths

_DEFAULT_SQL_CONNECTION = 'sqlite:///' + paths.state_path_def(
    'heat-snapshots.sqlite')


# oslo.db keeps 5 connections and opens (and then closes) an overflow
# connection for every transaction beyond them. An engine runs
# walk_concurrency (10) resources of a walk at once, besides its RPC calls:
# with 5, most of a walk's writes paid for a new MySQL connection.
_DEFAULT_MAX_POOL_SIZE = 20
# oslo.db's default overflow (50) let one busy engine hold 70 connections:
# three engines and the API then passed MariaDB's default max_connections
# (151) and snapshot requests failed with "Too many connections". An
# engine's transactions are short and its walks' state changes are
# committed by at most group_commit_writers threads, so 30 connections
# are enough for one engine; a thread beyond them waits for one (up to
# [database] pool_timeout). Three engines hold at most 90.
_DEFAULT_MAX_OVERFLOW = 10


GROUP = 'heat_snapshots_database'

opts = [
    cfg.StrOpt('sqlite_synchronous',
               default='NORMAL',
               choices=[
                   ('OFF', 'No sync at all: an operating system crash or a '
                           'power loss can corrupt the database file. '
                           'Tests only.'),
                   ('NORMAL', 'With the WAL journal heat-snapshots uses: '
                              'the database is never corrupted, but a power '
                              'loss or an operating system crash (not a '
                              'crash of the service itself) can lose the '
                              'transactions committed since the last '
                              'checkpoint of the write-ahead log, at most '
                              'about a thousand pages of writes.'),
                   ('FULL', 'Sync the write-ahead log at every commit: '
                            'nothing committed is ever lost, at the cost '
                            'of one disk flush per transaction.'),
                   ('EXTRA', 'FULL, and the journal\'s directory synced '
                             'too.'),
               ],
               help='SQLite only (the embedded default): how often SQLite '
                    'waits for the disk (PRAGMA synchronous). It replaces '
                    'oslo.db\'s [database] sqlite_synchronous. See the '
                    'admin guide\'s "Database durability" for what each '
                    'level can lose.'),
    cfg.BoolOpt('group_commit',
                default=True,
                help='Write the per-resource state changes of every walk '
                     'of an engine together, in one transaction per short '
                     'batch, instead of one transaction each. There is no '
                     'writer thread: a walk thread whose change finds a '
                     'batch slot free commits every change queued until '
                     'then, its own included, while the others wait. A '
                     'walk goes on only once its change is committed, so '
                     'nothing is less durable; only the number of commits '
                     'changes.'),
    cfg.FloatOpt('group_commit_interval',
                 default=0.0,
                 min=0.0,
                 max=1.0,
                 help='Seconds the walk thread leading a batch waits for '
                      'more changes before it commits them (group_commit). '
                      'With 0, a batch is committed at once, and the '
                      'changes that arrive meanwhile make the next one.'),
    cfg.IntOpt('group_commit_writers',
               default=1,
               min=1,
               help='Batches committed at the same time on MariaDB, MySQL '
                    'or PostgreSQL (group_commit), each by the walk thread '
                    'leading it. One (the default) makes the largest '
                    'batches, each written with one multi-row statement '
                    'per kind of row; more let the batches\' round trips '
                    'overlap, in smaller batches. SQLite, which has one '
                    'writer at a time, always commits one batch at a '
                    'time.'),
    cfg.IntOpt('group_commit_max',
               default=200,
               min=1,
               help='Most state changes committed in one batch '
                    '(group_commit); the changes queued beyond it make the '
                    'next batch.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=_DEFAULT_SQL_CONNECTION,
                            max_pool_size=_DEFAULT_MAX_POOL_SIZE,
                            max_overflow=_DEFAULT_MAX_OVERFLOW)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    # The generator lists oslo.db's own options from its namespace; listing
    # them here too would print the [database] group twice.
    return {GROUP: opts}
