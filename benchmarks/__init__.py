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

"""Benchmarks of heat-snapshots: python -m benchmarks --help."""

# The RPC floor (rpc_floor.py) runs oslo.messaging in this process and in
# one of its own: on the threading backend of oslo.service, as ours do
# (see heat_snapshots/common/concurrency.py), selected before anything
# imports oslo.messaging.
from heat_snapshots.common import concurrency

concurrency.init()
