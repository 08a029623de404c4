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

"""A resource's show, as python-heatclient reads it.
"""

from heat_snapshots.tests.unit.api import base


class ResourcesTest(base.StackWorkflowTestCase):

    def test_resource_show(self):
        resource = self.get(self.url + '/resources/random').json['resource']
        self.assertEqual(('random', 'random', 'OS::Heat::RandomString',
                          'CREATE_COMPLETE', ['none']),
                         (resource['resource_name'],
                          resource['logical_resource_id'],
                          resource['resource_type'],
                          resource['resource_status'],
                          resource['required_by']))
        self.assertEqual(8, len(resource['attributes']['value']))
        self.assertEqual('', resource['description'])
        response = self.get(self.url + '/resources/nope', status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Resource (nope) could not be found.')
