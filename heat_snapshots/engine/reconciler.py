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

"""Removes artifacts that no snapshot references any more.

A snapshot records each artifact the moment a plugin makes it, so this only
finds what slipped through: an engine killed (or fenced) between asking the
cloud for an artifact and writing its id, or a delete that failed half way
and whose snapshot was then removed with its stack.

Artifacts in the cloud are found through the artifact ledger only: each
entry is looked up in its own project (the service user scoped to it),
by the cloud id it recorded or else by its exact name, and is deleted only
when the artifact found carries the entry's name and markers and, for an
image, is owned by the entry's project (cloud.ownership_problem). Nothing
is listed across projects and no name is parsed. Entries younger than
``reconcile_min_age`` are left alone; with ``reconcile_report_only`` the
orphans are logged and nothing is deleted.

Artifacts kept in heat-snapshots' own database (the local artifact store)
are listed by their plugin's ``list_artifacts``.
"""

import collections

from oslo_config import cfg
from oslo_log import log as logging

from heat_snapshots.common import clients
from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.resources import cloud
from heat_snapshots.engine.resources import registry

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

# What an examined ledger entry is.
ORPHAN = 'orphan'            # ours, and no snapshot references it
NOT_OURS = 'not ours'        # found, but not with the entry's markers
ABSENT = 'absent'            # proven not there, and nothing refers to it
MISSING = 'missing'          # gone out of band; its snapshot still has it
IN_USE = 'in use'            # its snapshot exists and references it
UNKNOWN = 'unknown'          # the cloud's answer proved nothing

# entry: the ledger entry; verdict: one of the above; artifact_id: the
# artifact's id as recorded or found; reason: why, for people.
Finding = collections.namedtuple('Finding',
                                 ('entry', 'verdict', 'artifact_id',
                                  'reason'))


def _snapshot(context, snapshot_id):
    try:
        return db_api.snapshot_get(context, snapshot_id)
    except exception.SnapshotIdNotFound:
        return None


def _referenced(context, snapshot, plugin):
    """The artifact ids the snapshot's resource rows name."""
    referenced = {(row.data or {}).get(plugin.data_key)
                  for row in db_api.resource_snapshot_list(context,
                                                           snapshot.id)}
    # Rows of resources that made nothing name no artifact.
    referenced.discard(None)
    return referenced


def _project_context(context, entry):
    return hs_context.service_context(
        entry.project_id, request_id=getattr(context, 'request_id', None))


def examine(context, entry, check_in_use=False):
    """What a ledger entry is; the cloud is asked only when it matters.

    :param check_in_use: look up the artifacts that snapshots still
        reference too, to find those gone out of band (the audit).
    :returns: a Finding, or None for an entry that is not a cloud
        plugin's.
    """
    plugin = registry.plugin_class(entry.plugin)
    if not issubclass(plugin, cloud.CloudResourcePlugin):
        return None
    snapshot = _snapshot(context, entry.snapshot_id)
    if snapshot is not None and snapshot.status == states.IN_PROGRESS:
        return Finding(entry, IN_USE, entry.artifact_id,
                       'snapshot %s is %s %s' % (
                           snapshot.id, snapshot.action, snapshot.status))
    referenced = (_referenced(context, snapshot, plugin)
                  if snapshot is not None else set())
    if entry.artifact_id in referenced and not check_in_use:
        return Finding(entry, IN_USE, entry.artifact_id,
                       'snapshot %s references it' % snapshot.id)
    try:
        artifact, problem = plugin.find_recorded(
            _project_context(context, entry), entry)
    except Exception as error:
        return Finding(entry, UNKNOWN, entry.artifact_id,
                       getattr(error, 'message', None) or str(error))
    artifact_id = artifact.id if artifact is not None else entry.artifact_id
    used = artifact_id is not None and artifact_id in referenced
    if artifact is None:
        if used:
            return Finding(entry, MISSING, artifact_id,
                           'snapshot %s references it, %s has none' % (
                               snapshot.id, plugin.service_name))
        return Finding(entry, ABSENT, artifact_id,
                       '%s has no such %s' % (plugin.service_name,
                                              plugin.artifact_kind))
    if problem is not None:
        return Finding(entry, NOT_OURS, artifact_id, problem)
    if used:
        return Finding(entry, IN_USE, artifact_id,
                       'snapshot %s references it' % snapshot.id)
    if snapshot is None:
        return Finding(entry, ORPHAN, artifact_id,
                       'snapshot %s is gone' % entry.snapshot_id)
    return Finding(entry, ORPHAN, artifact_id,
                   'snapshot %s (%s %s) does not reference it' % (
                       snapshot.id, snapshot.action, snapshot.status))


def audit(context, conf=CONF, min_age=0, check_in_use=True):
    """Every live ledger entry examined; deletes nothing."""
    if not clients.can_act_for(hs_context.service_context('audit'), conf):
        raise exception.ServiceUnavailable(
            reason='no service credentials in [%s] to look up artifacts '
                   'with' % clients.SERVICE_AUTH_GROUP)
    findings = []
    for entry in db_api.ledger_list_live(context, min_age=min_age):
        finding = examine(context, entry, check_in_use=check_in_use)
        if finding is not None:
            findings.append(finding)
    return findings


def reconcile(context, conf=CONF):
    """Delete the orphaned artifacts that are provably ours.

    :returns: the number of artifacts deleted.
    """
    options = conf.heat_snapshots
    return (_reconcile_ledger(context, conf, options.reconcile_min_age,
                              options.reconcile_report_only) +
            _reconcile_own_store(context, options.reconcile_report_only))


def _reconcile_ledger(context, conf, min_age, report_only):
    if not clients.can_act_for(hs_context.service_context('reconciler'),
                               conf):
        LOG.debug('No service credentials: the artifacts in the cloud are '
                  'not reconciled')
        return 0
    deleted = 0
    counts = collections.Counter()
    for entry in db_api.ledger_list_live(context, min_age=min_age):
        finding = examine(context, entry)
        if finding is None:
            continue
        counts[finding.verdict] += 1
        what = '%s %s (%s, ledger entry %s, project %s)' % (
            entry.plugin, finding.artifact_id or entry.name, entry.name,
            entry.id, entry.project_id)
        if finding.verdict == NOT_OURS:
            LOG.warning('Leaving %s alone: it is not ours: %s', what,
                        finding.reason)
        elif finding.verdict == UNKNOWN:
            LOG.warning('Could not tell whether %s is there: %s', what,
                        finding.reason)
        elif finding.verdict == ABSENT and not report_only:
            LOG.info('Closing ledger entry of %s: %s', what,
                     finding.reason)
            db_api.ledger_mark_deleted(context, entry.id)
        elif finding.verdict == ORPHAN:
            if report_only:
                LOG.warning('Orphaned artifact %s (%s); report only, not '
                            'deleted', what, finding.reason)
                continue
            LOG.warning('Deleting orphaned artifact %s: %s', what,
                        finding.reason)
            plugin = registry.plugin_class(entry.plugin)
            try:
                plugin.delete_recorded(_project_context(context, entry),
                                       entry, finding.artifact_id)
            except Exception:
                LOG.exception('Could not delete orphaned artifact %s', what)
                continue
            db_api.ledger_mark_deleted(context, entry.id)
            deleted += 1
    if counts:
        LOG.info('Reconciler: %s; %d deleted', ', '.join(
            '%d %s' % (n, verdict) for verdict, n in sorted(counts.items())),
            deleted)
    return deleted


def _reconcile_own_store(context, report_only):
    """Artifacts of heat-snapshots' own database whose snapshot is gone."""
    deleted = 0
    seen = set()
    for plugin in registry.plugins().values():
        if plugin in seen:
            continue
        seen.add(plugin)
        artifacts = plugin.list_artifacts(context)
        if not artifacts:
            continue
        known = {}
        for artifact_id, snapshot_id in artifacts:
            if snapshot_id not in known:
                known[snapshot_id] = _snapshot(context,
                                               snapshot_id) is not None
            if known[snapshot_id]:
                continue
            if report_only:
                LOG.warning('Orphaned artifact %s of snapshot %s; report '
                            'only, not deleted', artifact_id, snapshot_id)
                continue
            LOG.warning('Deleting artifact %s of snapshot %s, which no '
                        'longer exists', artifact_id, snapshot_id)
            try:
                plugin.delete_artifact(context, artifact_id)
                deleted += 1
            except Exception:
                LOG.exception('Could not delete orphaned artifact %s',
                              artifact_id)
    return deleted
