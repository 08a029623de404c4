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

"""The [database] group is oslo.db's, shared with Heat."""

from oslo_db import options as db_options

from heat_snapshots.conf import paths

_DEFAULT_SQL_CONNECTION = 'sqlite:///' + paths.state_path_def(
    'heat-snapshots.sqlite')


# oslo.db keeps 5 connections and opens (and then closes) an overflow
# connection for every transaction beyond them. An engine runs
# walk_concurrency (10) resources of a walk at once, besides its RPC calls:
# with 5, most of a walk's writes paid for a new MySQL connection.
_DEFAULT_MAX_POOL_SIZE = 20


def register_opts(conf):
    db_options.set_defaults(conf, connection=_DEFAULT_SQL_CONNECTION,
                            max_pool_size=_DEFAULT_MAX_POOL_SIZE)


def list_opts():
    # The generator lists oslo.db's own options from its namespace; listing
    # them here too would print the [database] group twice.
    return {}
