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

"""The targets the table judges its figures by, in one place.

Issue 15's, for both of our deployments (it sets them "MariaDB +
RabbitMQ and embedded alike"), and issue 7's where issue 15 sets none
(the memory suite's). A pattern of a key is matched as fnmatch matches a
file name, so a case of other sizes (``--quick``'s) has no target.
"""

import fnmatch
import operator

# The deployments the targets are for: ours, started by the benchmark.
JUDGED = ('embedded', 'mysql')

# (benchmark, case, metric) -> (comparison, limit).
TARGETS = {
    ('scale', 'OS::Heat::None x 200', 'snapshot wall'): ('<', 0.3),
    ('scale', 'OS::Heat::None x 1000', 'snapshot wall'): ('<', 1.0),
    ('scale', 'OS::Heat::None x 200', 'restore wall'): ('<', 0.5),
    # Per resource of a large stack: a stack of 10 is mostly the cost of
    # the operation, not of its resources.
    ('scale', 'OS::Heat::None x 200', 'snapshot engine CPU per resource'):
        ('<', 1.0),
    ('scale', 'OS::Heat::None x 1000', 'snapshot engine CPU per resource'):
        ('<', 1.0),
    ('scale', 'OS::Heat::None x 1000', 'engine peak RSS'): ('<', 150.0),
    ('api', 'show, 1 client', 'p50'): ('<', 5.0),
    # All of a request's CPU: the embedded process's, or the API's and
    # the engine's added up (suites.api).
    ('api', 'show, 1 client', 'CPU all per request'): ('<', 4.0),
    ('api', 'show, 1 client', 'CPU api + engine per request'): ('<', 4.0),
    ('api', 'show, 8 clients', 'rps'): ('>=', 300.0),
    ('api', 'list, 1 client', 'p50'): ('<', 15.0),
    ('parallel', 'N=50 d=0.5s c=*', 'over ideal'): ('<', 10.0),
    ('parallel', 'chain N=10 d=0.5s c=*', 'over ideal'): ('<', 10.0),
    ('fleet', '*', '* eng: p99 / p50'): ('<=', 3.0),
    ('fleet', '*', '* eng: engine * RSS max'): ('<', 150.0),
    ('memory', '*', 'RSS after * snapshots'): ('<', 150.0),
    ('memory', '*', 'RSS growth, batch 2 to last'): ('<', 10.0),
}

# Side by side, ours / Heat's of the same figure.
RATIO_TARGETS = {
    ('scale', 'OS::Heat::None x 200', 'snapshot wall'): ('<=', 0.1),
    ('scale', 'OS::Heat::None x 200', 'restore wall'): ('<=', 0.1),
}

_COMPARE = {'<': operator.lt, '<=': operator.le, '>': operator.gt,
            '>=': operator.ge}


def met(target, value):
    """Whether ``value`` meets ``target`` ((comparison, limit))."""
    comparison, limit = target
    return _COMPARE[comparison](value, limit)


def find(targets, benchmark, case, metric):
    """The target of a figure in ``targets``, or None."""
    for (bench, case_pattern, metric_pattern), target in targets.items():
        if bench == benchmark and fnmatch.fnmatchcase(case, case_pattern) \
                and fnmatch.fnmatchcase(metric, metric_pattern):
            return target
    return None


def judge(results):
    """Give each result of a judged deployment its target, if it has one."""
    for result in results:
        if result.deployment in JUDGED:
            result.target = find(TARGETS, result.benchmark, result.case,
                                 result.metric)
    return results


def missed(results):
    """The results whose median misses their target."""
    return [r for r in results if r.verdict() == 'MISSED']
