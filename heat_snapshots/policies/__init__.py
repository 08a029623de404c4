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

import itertools

from heat_snapshots.policies import base
from heat_snapshots.policies import snapshot_operations
from heat_snapshots.policies import snapshot_policies
from heat_snapshots.policies import snapshots
from heat_snapshots.policies import stacks


def list_rules():
    return itertools.chain(
        base.list_rules(),
        stacks.list_rules(),
        snapshots.list_rules(),
        snapshot_operations.list_rules(),

        snapshot_policies.list_rules(),
    )
