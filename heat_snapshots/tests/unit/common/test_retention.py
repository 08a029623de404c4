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
import random

import hypothesis
from hypothesis import strategies

from heat_snapshots.common import exception
from heat_snapshots.common import retention
from heat_snapshots.common import states
from heat_snapshots.tests import base

UTC = datetime.timezone.utc
COMPLETE = states.COMPLETE
FAILED = states.FAILED
IN_PROGRESS = states.IN_PROGRESS
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def snap(name, created_at, status=COMPLETE):
    return retention.Snapshot(name, created_at, status)


def daily(first, days, hour=2, status=COMPLETE):
    """One snapshot a day, named by its date."""
    return [snap(day.strftime('%m-%d'), day, status)
            for day in (utc(*first, hour) + DAY * n for n in range(days))]


class ValidateRulesTest(base.TestCase):

    def test_every_rule_and_none(self):
        retention.validate_rules({})
        retention.validate_rules({'keep_last': 3, 'keep_hourly': 0,
                                  'keep_daily': 7, 'keep_weekly': 4,
                                  'keep_monthly': 12, 'max_age': 86400})

    def test_refused_with_a_400(self):
        for rules, reason in (
                ({'keep_yearly': 1}, 'unknown rule(s) keep_yearly; the '
                 'rules are keep_last, keep_hourly, keep_daily, '
                 'keep_weekly, keep_monthly, max_age'),
                ({'keep_last': 1, 'b': 1, 'a': 2}, 'unknown rule(s) a, b;'),
                ({1: 1}, 'unknown rule(s) 1;'),
                ({'keep_last': -1}, 'keep_last must be an integer >= 0, '
                 'not -1'),
                ({'max_age': 1.5}, 'max_age must be an integer >= 0, '
                 'not 1.5'),
                ({'keep_daily': '7'}, "keep_daily must be an integer >= 0, "
                 "not '7'"),
                ({'keep_weekly': True}, 'not True'),
                ({'keep_monthly': None}, 'not None'),
                ([], 'the retention must be an object of rules'),
                (None, 'the retention must be an object of rules')):
            error = self.assertRaises(exception.InvalidRetention,
                                      retention.validate_rules, rules)
            self.assertIsInstance(error, exception.Invalid)
            self.assertEqual(400, error.code)
            self.assertEqual('The retention rules are invalid: ',
                             error.message[:33])
            self.assertIn(reason, error.message)


class SelectPrunableTest(base.TestCase):

    now = utc(2026, 6, 30, 12)

    def prune(self, snapshots, timezone='UTC', now=None, **rules):
        return retention.select_prunable(snapshots, rules, now or self.now,
                                         timezone)

    def test_no_rules_prune_nothing(self):
        self.assertEqual([], self.prune(daily((2026, 1, 1), 100)))

    def test_keep_last(self):
        self.assertEqual(['06-01', '06-02'],
                         self.prune(daily((2026, 6, 1), 5), keep_last=3))

    def test_pruned_oldest_first_whatever_the_input_order(self):
        snapshots = daily((2026, 6, 1), 6)
        random.Random(4).shuffle(snapshots)
        self.assertEqual(['06-01', '06-02', '06-03', '06-04'],
                         self.prune(snapshots, keep_last=2))

    def test_the_newest_complete_is_never_pruned(self):
        self.assertEqual(['06-01', '06-02', '06-03', '06-04'],
                         self.prune(daily((2026, 6, 1), 5), keep_last=0))
        self.assertEqual(['06-01', '06-02', '06-03', '06-04'],
                         self.prune(daily((2026, 6, 1), 5), max_age=0))

    def test_keep_daily_keeps_the_newest_of_each_day(self):
        snapshots = [snap('%d-%d' % (day, hour), utc(2026, 6, day, hour))
                     for day in (1, 2, 5) for hour in (1, 13)]
        # Days without a snapshot (3, 4) are not periods.
        self.assertEqual(['1-1', '1-13', '2-1', '5-1'],
                         self.prune(snapshots, keep_daily=2))

    def test_days_in_the_policys_time_zone(self):
        snapshots = [snap('a', utc(2026, 6, 1, 21)),
                     snap('b', utc(2026, 6, 1, 23))]
        # In UTC both are on June 1st; in Paris (UTC+2) b is on the 2nd.
        self.assertEqual(['a'], self.prune(snapshots, keep_daily=2))
        self.assertEqual([], self.prune(snapshots, 'Europe/Paris',
                                        keep_daily=2))

    def test_keep_hourly_the_repeated_hour_is_two_hours(self):
        # New York, 2026-11-01: 01:xx EDT (05:xx UTC), then 01:xx EST
        # (06:xx UTC).
        snapshots = [snap('edt', utc(2026, 11, 1, 5, 10)),
                     snap('est', utc(2026, 11, 1, 6, 10)),
                     snap('before', utc(2026, 11, 1, 4, 10))]
        self.assertEqual(['before'], self.prune(
            snapshots, 'America/New_York', now=utc(2026, 11, 2),
            keep_hourly=2))

    def test_keep_hourly_across_the_spring_forward_gap(self):
        # Paris, 2026-03-29: 01:30 CET (00:30 UTC) then 03:30 CEST (01:30
        # UTC): two hours an hour apart.
        snapshots = [snap('a', utc(2026, 3, 29, 0, 10)),
                     snap('b', utc(2026, 3, 29, 0, 30)),
                     snap('c', utc(2026, 3, 29, 1, 30))]
        self.assertEqual(['a'], self.prune(snapshots, 'Europe/Paris',
                                           keep_hourly=5))

    def test_keep_weekly_iso_weeks(self):
        # 2026-12-27 is a Sunday (week 52), the 28th a Monday (week 53,
        # which runs to Sunday 2027-01-03).
        snapshots = [snap('sun', utc(2026, 12, 27, 2)),
                     snap('mon', utc(2026, 12, 28, 2)),
                     snap('thu', utc(2026, 12, 31, 2)),
                     snap('fri', utc(2027, 1, 1, 2)),
                     snap('next-mon', utc(2027, 1, 4, 2))]
        self.assertEqual(['mon', 'thu'], self.prune(
            snapshots, now=utc(2027, 1, 5), keep_weekly=3))
        self.assertEqual(['sun', 'mon', 'thu'], self.prune(
            snapshots, now=utc(2027, 1, 5), keep_weekly=2))

    def test_keep_monthly_calendar_months_and_leap_days(self):
        snapshots = [snap('jan-31', utc(2028, 1, 31, 12)),
                     snap('feb-28', utc(2028, 2, 28, 12)),
                     snap('feb-29', utc(2028, 2, 29, 12)),
                     snap('mar-01', utc(2028, 3, 1, 12)),
                     snap('mar-31', utc(2028, 3, 31, 12))]
        self.assertEqual(['feb-28', 'mar-01'], self.prune(
            snapshots, now=utc(2028, 4, 1), keep_monthly=3))

    def test_months_in_the_policys_time_zone(self):
        # 23:30 UTC on January 31st is February 1st in Paris.
        snapshots = [snap('jan', utc(2026, 1, 31, 12)),
                     snap('jan-late', utc(2026, 1, 31, 23, 30)),
                     snap('feb', utc(2026, 2, 15))]
        self.assertEqual(['jan'], self.prune(snapshots, keep_monthly=2))
        self.assertEqual(['jan-late'], self.prune(
            snapshots, 'Europe/Paris', keep_monthly=2))

    def test_max_age_alone_prunes_what_is_older(self):
        snapshots = daily((2026, 6, 25), 5, hour=12)
        # Exactly max_age old is kept.
        self.assertEqual(['06-25', '06-26'],
                         self.prune(snapshots, max_age=3 * 86400))

    def test_max_age_keeps_what_other_rules_would_prune(self):
        snapshots = daily((2026, 6, 1), 30, hour=12)
        self.assertEqual(
            [s.id for s in snapshots[:-10]],
            self.prune(snapshots, keep_last=2, max_age=9 * 86400))

    def test_a_max_age_beyond_the_calendar_keeps_every_snapshot(self):
        # The API takes any integer >= 0: an age older than year 1 (or
        # than timedelta holds) keeps all, instead of failing the run.
        snapshots = daily((2026, 6, 1), 5, hour=12)
        for max_age in (99999999999, 10 ** 20):
            self.assertEqual([], self.prune(snapshots, keep_last=1,
                                            max_age=max_age))

    def test_max_age_does_not_prune_what_a_count_rule_keeps(self):
        snapshots = daily((2026, 1, 1), 181, hour=12)
        kept = {s.id for s in snapshots} - set(
            self.prune(snapshots, keep_monthly=3, max_age=2 * 86400))
        self.assertEqual({'04-30', '05-31', '06-28', '06-29', '06-30'}, kept)

    def test_every_rule_together(self):
        # Every 6 hours from January 1st to June 30th (UTC).
        snapshots = [snap(t.strftime('%m-%d %H'), t) for t in (
            utc(2026, 1, 1) + 6 * HOUR * n for n in range(181 * 4))]
        pruned = self.prune(snapshots, keep_last=3, keep_hourly=7,
                            keep_daily=4, keep_weekly=3, keep_monthly=3,
                            max_age=86400)
        kept = sorted({s.id for s in snapshots} - set(pruned))
        self.assertEqual([
            '04-30 18',  # monthly: April
            '05-31 18',  # monthly: May
            '06-21 18',  # weekly: the week ending Sunday 21st
            '06-27 18',  # daily
            '06-28 18',  # daily, weekly: the week ending Sunday 28th
            '06-29 06',  # hourly (the 7 latest hours with a snapshot)
            # max_age (June 29th 12:00 on), hourly and the newest: last,
            # daily, weekly, monthly.
            '06-29 12', '06-29 18', '06-30 00', '06-30 06', '06-30 12',
            '06-30 18'], kept)

    def test_a_zero_rule_keeps_nothing_by_itself(self):
        self.assertEqual(
            ['06-01', '06-02', '06-03'],
            self.prune(daily((2026, 6, 1), 5), keep_last=0, keep_daily=2,
                       keep_monthly=0))

    def test_failed_snapshots_are_pruned_and_not_counted(self):
        snapshots = (daily((2026, 6, 1), 3, hour=2) +
                     daily((2026, 6, 1), 3, hour=3, status=FAILED))
        snapshots = [snap(s.id + ('f' if s.status == FAILED else ''),
                          s.created_at, s.status) for s in snapshots]
        # keep_last=2 counts the COMPLETE ones only; the failures are
        # pruned but the newest, which no COMPLETE one came after.
        self.assertEqual(['06-01', '06-01f', '06-02f'],
                         self.prune(snapshots, keep_last=2))

    def test_the_newest_failure_stays_until_a_snapshot_succeeds(self):
        snapshots = [snap('ok', utc(2026, 6, 1)),
                     snap('failed-1', utc(2026, 6, 2), FAILED),
                     snap('failed-2', utc(2026, 6, 3), FAILED)]
        self.assertEqual(['failed-1'], self.prune(snapshots, keep_last=1))
        snapshots.append(snap('ok-again', utc(2026, 6, 4)))
        self.assertEqual(['ok', 'failed-1', 'failed-2'],
                         self.prune(snapshots, keep_last=1))

    def test_only_failures(self):
        snapshots = daily((2026, 6, 1), 3, status=FAILED)
        self.assertEqual(['06-01', '06-02'],
                         self.prune(snapshots, keep_last=5))

    def test_snapshots_in_progress_are_never_pruned_nor_counted(self):
        snapshots = [snap('old', utc(2026, 1, 1), IN_PROGRESS),
                     snap('a', utc(2026, 6, 1)),
                     snap('b', utc(2026, 6, 2)),
                     snap('taking', utc(2026, 6, 3), IN_PROGRESS),
                     snap('odd', utc(2026, 1, 2), 'SOMETHING_ELSE')]
        self.assertEqual(['a'], self.prune(snapshots, keep_last=1))

    def test_ties_are_ordered_by_id(self):
        at = utc(2026, 6, 1)
        snapshots = [snap(name, at) for name in 'cab']
        self.assertEqual(['a', 'b'], self.prune(snapshots, keep_last=1))
        self.assertEqual(['a', 'b'], self.prune(snapshots, keep_daily=1))

    def test_no_snapshots(self):
        self.assertEqual([], self.prune([], keep_last=1, max_age=1))

    def test_an_unknown_time_zone(self):
        self.assertRaises(exception.InvalidSchedule, self.prune,
                          daily((2026, 6, 1), 2), 'Nowhere', keep_daily=1)


IDS = strategies.text('abcdefgh', min_size=1, max_size=3)
SNAPSHOTS = strategies.lists(
    strategies.tuples(
        IDS,
        strategies.datetimes(min_value=datetime.datetime(2025, 12, 1),
                             max_value=datetime.datetime(2026, 6, 30),
                             timezones=strategies.just(UTC)),
        strategies.sampled_from(
            [COMPLETE] * 6 + [FAILED, IN_PROGRESS])),
    max_size=30, unique_by=lambda t: t[0]).map(
        lambda items: [retention.Snapshot(*item) for item in items])
COUNT = strategies.integers(min_value=0, max_value=6)
RULES = strategies.fixed_dictionaries({}, optional={
    'keep_last': COUNT, 'keep_hourly': COUNT, 'keep_daily': COUNT,
    'keep_weekly': COUNT, 'keep_monthly': COUNT,
    'max_age': strategies.integers(min_value=0, max_value=90 * 86400)})
ZONES = strategies.sampled_from(['UTC', 'Europe/Paris', 'America/New_York'])
NOW = datetime.datetime(2026, 7, 1, tzinfo=UTC)
SETTINGS = hypothesis.settings(max_examples=100, deadline=None,
                               derandomize=True)


class PropertiesTest(base.TestCase):

    @SETTINGS
    @hypothesis.given(snapshots=SNAPSHOTS, rules=RULES, zone=ZONES)
    def test_invariants(self, snapshots, rules, zone):
        pruned = retention.select_prunable(snapshots, rules, NOW, zone)
        ids = [s.id for s in snapshots]
        kept = [s for s in snapshots if s.id not in pruned]
        # Pruned and kept make the input, once each.
        self.assertEqual(len(pruned), len(set(pruned)))
        self.assertLessEqual(set(pruned), set(ids))
        self.assertEqual(len(snapshots), len(pruned) + len(kept))
        if not rules:
            self.assertEqual([], pruned)
        complete = sorted((s for s in snapshots if s.status == COMPLETE),
                          key=lambda s: (s.created_at, s.id))
        if complete:
            self.assertNotIn(complete[-1].id, pruned)
        kept_complete = [s for s in kept if s.status == COMPLETE]
        self.assertGreaterEqual(
            len(kept_complete), min(rules.get('keep_last', 0),
                                    len(complete)))
        for snapshot in snapshots:
            if snapshot.status not in (COMPLETE, FAILED):
                self.assertNotIn(snapshot.id, pruned)
        if rules:
            self.assertLessEqual(
                len([s for s in kept if s.status == FAILED]), 1)
        # Idempotent: pruning what is kept prunes nothing more.
        self.assertEqual(
            [], retention.select_prunable(kept, rules, NOW, zone))
        # The order of the input does not matter.
        shuffled = list(snapshots)
        random.Random(len(shuffled)).shuffle(shuffled)
        self.assertEqual(
            pruned, retention.select_prunable(shuffled, rules, NOW, zone))

    @SETTINGS
    @hypothesis.given(snapshots=SNAPSHOTS, rules=RULES, zone=ZONES,
                      rule=strategies.sampled_from(retention.RULES),
                      more=strategies.integers(min_value=1,
                                               max_value=30 * 86400))
    def test_keeping_more_never_prunes_more(self, snapshots, rules, zone,
                                            rule, more):
        if not rules:
            rules = {'keep_last': 0}
        pruned = retention.select_prunable(snapshots, rules, NOW, zone)
        generous = dict(rules, **{rule: rules.get(rule, 0) + more})
        self.assertLessEqual(set(retention.select_prunable(
            snapshots, generous, NOW, zone)), set(pruned))

    @SETTINGS
    @hypothesis.given(snapshots=SNAPSHOTS, zone=ZONES, count=COUNT,
                      rule=strategies.sampled_from(
                          [name for name, _ in retention.PERIODS]))
    def test_each_recent_period_keeps_its_newest(self, snapshots, zone,
                                                 count, rule):
        period = dict(retention.PERIODS)[rule]
        pruned = retention.select_prunable(snapshots, {rule: count}, NOW,
                                           zone)
        tz = retention.schedule.zone(zone)
        newest = {}
        for snapshot in sorted(
                (s for s in snapshots if s.status == COMPLETE),
                key=lambda s: (s.created_at, s.id)):
            newest[period(snapshot.created_at.astimezone(tz))] = snapshot
        recent = sorted(newest.values(), key=lambda s: (s.created_at, s.id),
                        reverse=True)[:count]
        for snapshot in recent:
            self.assertNotIn(snapshot.id, pruned)
        # The rule keeps those, and the newest COMPLETE (the newest of
        # the latest period) is kept even with a count of 0.
        kept_complete = {s.id for s in snapshots if s.status == COMPLETE
                         } - set(pruned)
        expected = {s.id for s in recent}
        if newest:
            expected.add(max(newest.values(),
                             key=lambda s: (s.created_at, s.id)).id)
        self.assertEqual(expected, kept_complete)
