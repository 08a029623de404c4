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

from oslo_config import cfg

GROUP = 'snapshot_policies'

opts = [
    cfg.IntOpt('max_policies_per_project',
               default=20,
               min=-1,
               help='Maximum number of snapshot policies of one project; '
                    '-1 means unlimited. Admin callers are exempt.'),
    cfg.FloatOpt('scheduler_interval',
                 default=10.0,
                 min=0.1,
                 help='Seconds between two looks of each engine for '
                      'policy runs that are due. Every engine looks; a due '
                      'run is claimed by exactly one of them.'),
    cfg.FloatOpt('busy_retry_interval',
                 default=30.0,
                 min=0.1,
                 help='Seconds between two attempts to snapshot a stack '
                      'that is busy with another operation. A run retries '
                      'until the next scheduled time, then records the '
                      'stack as skipped.'),
    cfg.IntOpt('run_workers',
               default=4,
               min=1,
               help='Policy runs one engine carries out at once (each '
                    'waits for its snapshots; the snapshots themselves run '
                    'in the operation workers).'),
    cfg.IntOpt('run_timeout',
               default=3600,
               min=1,
               help='Seconds a policy run waits for one stack\'s snapshot '
                    'before recording it as failed.'),
    cfg.IntOpt('minute_seconds',
               default=60,
               min=1,
               max=60,
               help='TESTING ONLY. The length, in real seconds, of a '
                    'minute of the policies\' cron schedules: with 5, '
                    '"* * * * *" runs every 5 seconds and "*/2 * * * *" '
                    'every 10. Schedules, next run times and max_age are '
                    'then on a clock that runs 60/minute_seconds times '
                    'faster than the real one. Never change it in '
                    'production.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
