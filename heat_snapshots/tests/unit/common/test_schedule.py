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

import datetime
import zoneinfo

import hypothesis
from hypothesis import strategies

from heat_snapshots.common import exception
from heat_snapshots.common import schedule
from heat_snapshots.tests import base

UTC = datetime.timezone.utc


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def local(zone, *args, fold=0):
    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone),
                             fold=fold)


class ValidateTest(base.TestCase):

    def test_standard_expressions_are_accepted(self):
        for cron in ('0 2 * * *', '*/15 * * * *', '0 0 1,15 * *',
                     '30 8-18/2 * * mon-fri', '0 0 1 jan,jul *',
                     '0 3 * * 0', '0 3 * * 7', '0 0 L * *', '0 9 * * 1#1',
                     '0 9 * * L5', '0 0 29 2 *', ' 0  2 * * * '):
            schedule.validate(cron, 'Europe/Paris')

    def test_bad_expressions_are_refused_with_a_400(self):
        for cron, reason in (
                ('0 2 * *', "has 4 fields, expected 5 (minute hour"),
                ('0 0 2 * * *', 'has 6 fields'),
                ('@daily', 'has 1 fields'),
                ('', 'has 0 fields'),
                ('61 * * * *', 'out of range'),
                ('0 0 * * 8', 'out of range'),
                ('*/0 * * * *', "step '0'"),
                ('R * * * *', 'random (R) and hashed (H)'),
                ('H 2 * * *', 'random (R) and hashed (H)'),
                ('0 0 30 2 *', 'never matches a date'),
                ('0 0 31 4,6 *', 'never matches a date'),
                ('0 0 * * funday', 'funday'),
                ('1 ' * 200, 'longer than 255 characters'),
                (None, 'must be a string'),
                (7, 'must be a string')):
            error = self.assertRaises(exception.InvalidSchedule,
                                      schedule.validate, cron, 'UTC')
            self.assertIsInstance(error, exception.Invalid)
            self.assertEqual(400, error.code)
            self.assertIn(reason, error.message)
            self.assertTrue(error.message.startswith(
                'The schedule is invalid: '), error.message)

    def test_unknown_time_zones_are_refused(self):
        for zone in ('Mars/Olympus_Mons', 'europe/paris', 'localtime',
                     '/etc/localtime', '../../etc/passwd', '', None, 1):
            error = self.assertRaises(exception.InvalidSchedule,
                                      schedule.validate, '0 2 * * *', zone)
            self.assertEqual(
                'The schedule is invalid: unknown time zone %r' % (zone,),
                error.message)

    def test_time_zones(self):
        for zone in ('UTC', 'Etc/UTC', 'Europe/Paris', 'America/New_York',
                     'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Apia'):
            schedule.validate('0 2 * * *', zone)


class NextRunsTest(base.TestCase):

    def test_daily_in_utc(self):
        self.assertEqual(
            [utc(2026, 5, 1, 2), utc(2026, 5, 2, 2), utc(2026, 5, 3, 2)],
            schedule.next_runs('0 2 * * *', 'UTC', utc(2026, 4, 30, 12)))

    def test_strictly_after(self):
        self.assertEqual(
            [utc(2026, 5, 2, 2)],
            schedule.next_runs('0 2 * * *', 'UTC', utc(2026, 5, 1, 2),
                               count=1))

    def test_count(self):
        runs = schedule.next_runs('*/5 * * * *', 'UTC', utc(2026, 5, 1),
                                  count=12)
        self.assertEqual(12, len(runs))
        self.assertEqual(utc(2026, 5, 1, 1), runs[-1])
        self.assertEqual(
            [], schedule.next_runs('* * * * *', 'UTC', utc(2026, 5, 1),
                                   count=0))

    def test_the_results_are_utc(self):
        runs = schedule.next_runs('0 2 * * *', 'Asia/Kolkata',
                                  local('Asia/Kolkata', 2026, 5, 1, 12))
        self.assertEqual(utc(2026, 5, 1, 20, 30), runs[0])
        self.assertTrue(all(run.tzinfo is UTC for run in runs))

    def test_an_aware_time_is_needed(self):
        self.assertRaises(ValueError, schedule.next_runs, '0 2 * * *',
                          'UTC', datetime.datetime(2026, 5, 1))

    def test_the_wall_clock_of_the_zone_winter_and_summer(self):
        # 02:00 in Paris is 01:00 UTC in winter (CET), 00:00 in summer.
        self.assertEqual(
            [utc(2026, 1, 15, 1), utc(2026, 7, 15, 0)],
            [schedule.next_runs('0 2 15 * *', 'Europe/Paris',
                                utc(2026, month, 1), count=1)[0]
             for month in (1, 7)])

    def test_paris_spring_forward_runs_the_missing_time_at_the_gap_end(self):
        # 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        self.assertEqual(
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1),
             utc(2026, 3, 30, 0, 30)],
            schedule.next_runs('30 2 * * *', 'Europe/Paris',
                               utc(2026, 3, 27, 12)))

    def test_several_missing_times_and_the_gap_end_run_once(self):
        runs = schedule.next_runs('*/15 2,3 * * *', 'Europe/Paris',
                                  utc(2026, 3, 29), count=4)
        # 02:00 to 02:45 do not exist: one run at 03:00 CEST, which is
        # also a scheduled time; then 03:15, 03:30, 03:45.
        self.assertEqual([utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 15),
                          utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 1, 45)],
                         runs)

    def test_paris_fall_back_runs_the_repeated_time_once_first(self):
        # 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens at
        # 00:30 UTC (CEST) and 01:30 UTC (CET): it runs at the first.
        self.assertEqual(
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30),
             utc(2026, 10, 26, 1, 30)],
            schedule.next_runs('30 2 * * *', 'Europe/Paris',
                               utc(2026, 10, 23, 12)))

    def test_new_york_spring_forward(self):
        # 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        self.assertEqual(
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7),
             utc(2026, 3, 9, 6, 30)],
            schedule.next_runs('30 2 * * *', 'America/New_York',
                               utc(2026, 3, 7)))

    def test_new_york_fall_back(self):
        # 2026-11-01: 02:00 EDT goes back to 01:00 EST (06:00 UTC); the
        # repeated hour (01:00 to 02:00 EST) runs nothing.
        self.assertEqual(
            [utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30),
             utc(2026, 11, 1, 7), utc(2026, 11, 1, 7, 30)],
            schedule.next_runs('*/30 * * * *', 'America/New_York',
                               utc(2026, 11, 1, 4, 45), count=4))

    def test_after_in_the_repeated_hour(self):
        # 06:10 UTC is 01:10 EST, the second pass: 01:30 ran in the first
        # pass (05:30 UTC), so the next run is 02:00 EST.
        self.assertEqual(
            [utc(2026, 11, 1, 7)],
            schedule.next_runs('*/30 * * * *', 'America/New_York',
                               utc(2026, 11, 1, 6, 10), count=1))

    def test_a_day_skipped_by_the_zone(self):
        # Samoa skipped 2011-12-30 (UTC-10 to UTC+14): its noon runs once,
        # at the first instant after the gap, midnight on the 31st.
        runs = schedule.next_runs('0 12 * * *', 'Pacific/Apia',
                                  utc(2011, 12, 29))
        self.assertEqual([local('Pacific/Apia', 2011, 12, 29, 12),
                          local('Pacific/Apia', 2011, 12, 31, 0),
                          local('Pacific/Apia', 2011, 12, 31, 12)], runs)

    def test_month_ends(self):
        self.assertEqual(
            [utc(2026, 1, 31), utc(2026, 3, 31), utc(2026, 5, 31)],
            schedule.next_runs('0 0 31 * *', 'UTC', utc(2026, 1, 1)))
        self.assertEqual(
            [utc(2026, 1, 31), utc(2026, 2, 28), utc(2026, 3, 31)],
            schedule.next_runs('0 0 L * *', 'UTC', utc(2026, 1, 1)))

    def test_leap_days(self):
        self.assertEqual(
            [utc(2028, 2, 29), utc(2032, 2, 29), utc(2036, 2, 29)],
            schedule.next_runs('0 0 29 2 *', 'UTC', utc(2026, 1, 1)))
        # 2100 is not a leap year.
        self.assertEqual(
            [utc(2096, 2, 29), utc(2104, 2, 29)],
            schedule.next_runs('0 0 29 2 *', 'UTC', utc(2096, 1, 1),
                               count=2))
        self.assertEqual(
            [utc(2028, 2, 29), utc(2028, 3, 31), utc(2028, 4, 30)],
            schedule.next_runs('0 0 L * *', 'UTC', utc(2028, 2, 27)))

    def test_either_day_field_matches(self):
        # Vixie cron: the 13th, and every Friday.
        self.assertEqual(
            [utc(2026, 2, 6), utc(2026, 2, 13), utc(2026, 2, 20)],
            schedule.next_runs('0 0 13 * fri', 'UTC', utc(2026, 2, 1)))

    def test_a_bad_schedule_is_refused(self):
        self.assertRaises(exception.InvalidSchedule, schedule.next_runs,
                          '0 0 30 2 *', 'UTC', utc(2026, 1, 1))
        self.assertRaises(exception.InvalidSchedule, schedule.next_runs,
                          '0 2 * * *', 'Nowhere', utc(2026, 1, 1))


class DueRunTest(base.TestCase):

    def test_nothing_due(self):
        self.assertEqual(
            (None, False),
            schedule.due_run('0 2 * * *', 'UTC', utc(2026, 5, 1, 2),
                             utc(2026, 5, 2, 1, 59)))

    def test_due_at_its_time(self):
        self.assertEqual(
            (utc(2026, 5, 2, 2), False),
            schedule.due_run('0 2 * * *', 'UTC', utc(2026, 5, 1, 2),
                             utc(2026, 5, 2, 2)))

    def test_a_run_already_made_is_not_due_again(self):
        self.assertEqual(
            (None, False),
            schedule.due_run('0 2 * * *', 'UTC', utc(2026, 5, 2, 2),
                             utc(2026, 5, 2, 2, 0, 30)))

    def test_a_little_late_is_not_late(self):
        self.assertEqual(
            (utc(2026, 5, 2, 2), False),
            schedule.due_run('0 2 * * *', 'UTC', utc(2026, 5, 1, 2),
                             utc(2026, 5, 3, 1, 59)))

    def test_missed_runs_run_once_late(self):
        # Engines down for three days: one run, the latest, marked late.
        self.assertEqual(
            (utc(2026, 5, 4, 2), True),
            schedule.due_run('0 2 * * *', 'UTC', utc(2026, 5, 1, 2),
                             utc(2026, 5, 4, 9)))

    def test_a_new_policy_from_its_creation_time(self):
        self.assertEqual(
            (None, False),
            schedule.due_run('0 2 * * *', 'UTC', utc(2026, 5, 1, 10),
                             utc(2026, 5, 2, 1)))
        self.assertEqual(
            (utc(2026, 5, 2, 2), False),
            schedule.due_run('0 2 * * *', 'UTC', utc(2026, 5, 1, 10),
                             utc(2026, 5, 2, 3)))

    def test_a_long_outage_of_a_frequent_schedule_is_quick(self):
        self.assertEqual(
            (utc(2026, 5, 1, 12, 34), True),
            schedule.due_run('* * * * *', 'UTC', utc(2020, 1, 1),
                             utc(2026, 5, 1, 12, 34, 56)))

    def test_due_in_the_spring_forward_gap(self):
        self.assertEqual(
            (utc(2026, 3, 29, 1), False),
            schedule.due_run('30 2 * * *', 'Europe/Paris',
                             utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1)))

    def test_due_in_the_repeated_hour(self):
        # now 06:40 UTC = 01:40 EST (second pass): the last run was 01:30
        # EDT (05:30 UTC), the first pass.
        self.assertEqual(
            (utc(2026, 11, 1, 5, 30), True),
            schedule.due_run('*/30 * * * *', 'America/New_York',
                             utc(2026, 11, 1, 4, 50), utc(2026, 11, 1, 6, 40)))
        self.assertEqual(
            (None, False),
            schedule.due_run('*/30 * * * *', 'America/New_York',
                             utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 59)))

    def test_aware_times_are_needed(self):
        self.assertRaises(ValueError, schedule.due_run, '0 2 * * *', 'UTC',
                          datetime.datetime(2026, 5, 1), utc(2026, 5, 2))
        self.assertRaises(ValueError, schedule.due_run, '0 2 * * *', 'UTC',
                          utc(2026, 5, 1), None)


CRONS = ('0 2 * * *', '30 2 * * *', '*/20 * * * *', '0 */3 * * *',
         '15 1,2,3 * * *', '0 0 L * *', '0 0 29 2 *', '45 23 * * sun',
         '0 12 1 * *', '*/7 2 * * *')
ZONES = ('UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe',
         'Asia/Kolkata')
TIMES = strategies.datetimes(min_value=datetime.datetime(2020, 1, 1),
                             max_value=datetime.datetime(2030, 12, 31),
                             timezones=strategies.just(UTC))


class PropertiesTest(base.TestCase):
    """next_runs (forward) and due_run (backward) tell the same story."""

    @hypothesis.settings(max_examples=150, deadline=None,
                         derandomize=True)
    @hypothesis.given(cron=strategies.sampled_from(CRONS),
                      zone=strategies.sampled_from(ZONES), after=TIMES)
    def test_next_runs_ascend_strictly_after(self, cron, zone, after):
        runs = schedule.next_runs(cron, zone, after, count=4)
        self.assertEqual(4, len(runs))
        self.assertLess(after, runs[0])
        self.assertEqual(sorted(set(runs)), runs)
        # Each run is continued by the next: no run is skipped.
        self.assertEqual(runs[1:],
                         schedule.next_runs(cron, zone, runs[0], count=3))

    @hypothesis.settings(max_examples=150, deadline=None,
                         derandomize=True)
    @hypothesis.given(cron=strategies.sampled_from(CRONS),
                      zone=strategies.sampled_from(ZONES), last_run=TIMES,
                      hours=strategies.integers(min_value=0,
                                                max_value=24 * 40))
    def test_due_run_agrees_with_next_runs(self, cron, zone, last_run,
                                           hours):
        now = last_run + datetime.timedelta(hours=hours, minutes=7)
        due, late = schedule.due_run(cron, zone, last_run, now)
        upcoming = schedule.next_runs(cron, zone, last_run, count=1)[0]
        if upcoming > now:
            self.assertEqual((None, False), (due, late))
            return
        self.assertLess(last_run, due)
        self.assertLessEqual(due, now)
        # The latest in the window: the next run after it is after now.
        self.assertLess(now, schedule.next_runs(cron, zone, due, count=1)[0])
        # Late when another scheduled time came before it in the window.
        self.assertEqual(upcoming < due, late)
