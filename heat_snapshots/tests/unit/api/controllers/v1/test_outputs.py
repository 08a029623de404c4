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

"""Outputs, listed and shown as Heat answers them.
"""

from heat_snapshots.tests.unit.api import base


class OutputsTest(base.StackWorkflowTestCase):

    def test_outputs(self):
        outputs = self.get(self.url + '/outputs').json['outputs']
        self.assertEqual([{'output_key': 'value',
                           'description': 'The string.'}], outputs)
        output = self.get(self.url + '/outputs/value').json['output']
        self.assertEqual(8, len(output['output_value']))
        response = self.get(self.url + '/outputs/nope', status=None)
        self.assertFault(response, 404, 'NotFound',
                         'Specified output key nope not found.')
