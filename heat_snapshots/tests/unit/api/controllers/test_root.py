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

"""The version document at the root, as Heat answers it."""

from heat_snapshots.tests.unit.api import base


class RootTest(base.APITestCase):

    def test_versions_are_a_300_with_v1_current(self):
        response = self.get('/', status=300)
        versions = response.json['versions']
        self.assertEqual([('v1.0', 'CURRENT')],
                         [(v['id'], v['status']) for v in versions])
        self.assertEqual([{'href': 'http://localhost/v1/', 'rel': 'self'}],
                         versions[0]['links'])
