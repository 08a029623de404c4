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

"""The ``local`` stack driver: a small Heat-compatible stack store.

Stacks and their resources live in our own database (hs_local_stacks,
hs_local_resources). Templates are HOT with the built-in types of
resource_types; resources are walked in dependency order with
engine.walk, independent ones in parallel. A group, a template resource
or an OS::Heat::Stack owns a nested stack (nested.py) whose resources are
rows of the top stack named by their path (``group/0/server``).

The engine manager takes the stack lock, shows the stack's own state with
set_stack_state and runs the blocking ``run_*`` methods in a worker
thread; this driver changes resources and stores templates.
"""

import collections
import copy
import threading
import time

from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.db import group_commit
from heat_snapshots.engine import formatters
from heat_snapshots.engine.stacks import base
from heat_snapshots.engine import walk
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.localstack import functions
from heat_snapshots.localstack import manager
from heat_snapshots.localstack import nested
from heat_snapshots.localstack import resource_types
from heat_snapshots.localstack import template as tmpl

LOG = logging.getLogger(__name__)

INIT = states.INIT
CREATE = states.CREATE
UPDATE = states.UPDATE
DELETE = states.DELETE
RESTORE = states.RESTORE

STATE_CHANGED = states.RESOURCE_STATE_CHANGED
NO_OUTPUT_DESCRIPTION = 'No description given'

FILTERS = ('id', 'name', 'action', 'status', 'project_id', 'user_id')

# What an update does to a resource (Heat's update preview's lists).
ADDED = states.PREVIEW_ADDED
DELETED = states.PREVIEW_DELETED
REPLACED = states.PREVIEW_REPLACED
UNCHANGED = states.PREVIEW_UNCHANGED
UPDATED = states.PREVIEW_UPDATED
CHANGES = states.PREVIEW_CHANGES

# Instant steps written per transaction before a walk (_Run.walk): as
# many as a snapshot writes at once.
AT_ONCE = 500

# One resource's fate in an update: its ``change``, why (``reason``) and,
# unless it is created anew from its definition, its new ``properties``
# and type (``rtype``).
Plan = collections.namedtuple('Plan', ('change', 'reason', 'properties',
                                       'rtype'))


class _Live:
    """What functions may read of a resource during a walk.

    :param identity: a resource owning a nested stack: (project id,
        nested stack name, nested stack id); its type (``type_class``)
        computes its reference and attributes.
    """

    def __init__(self, physical_resource_id=None, attributes=None,
                 properties=None, type_class=None, identity=None):
        self.physical_resource_id = physical_resource_id
        self.attributes = attributes or {}
        self.properties = properties or {}
        self.type_class = type_class
        self.identity = identity

    @property
    def _nested(self):
        return self.identity is not None and \
            getattr(self.type_class, 'nested', False)

    @property
    def reference(self):
        if self._nested and self.physical_resource_id:
            return self.type_class.reference_id(self.identity,
                                                self.attributes)
        return self.physical_resource_id

    def attribute(self, key):
        if self._nested:
            return self.type_class.attribute(self.attributes, key)
        return self.attributes.get(key)


class _Resolver(functions.Resolver):
    """:param budget: a limits.Budget shared with other resolvers (the
        nested stacks of one stack).
    """

    def __init__(self, parameters, files, live, budget=None):
        self.parameters = parameters
        self.files = files or {}
        self.live = live
        if budget is not None:
            self._budget = budget

    def get_param(self, name):
        return self.parameters.get(name)

    def get_resource(self, name):
        resource = self.live.get(name)
        return resource.reference if resource else None

    def get_attr(self, name, attribute):
        resource = self.live.get(name)
        if resource is None:
            return None
        if attribute == 'show' and 'show' not in resource.attributes:
            return dict(resource.attributes,
                        id=resource.physical_resource_id)
        return resource.attribute(attribute)

    def get_file(self, name):
        return self.files.get(name)


class LocalStackDriver(base.ManagingStackDriver):
    """Stacks kept in heat-snapshots' own database."""

    reads_our_database = True

    def rpc_endpoint(self, engine):
        """The endpoint of this store's stack CRUD, served next to the
        snapshot manager ``engine``.
        """
        return manager.StackManager(engine)

    # --- reading -------------------------------------------------------

    @staticmethod
    def _visible(context, row):
        return row is not None and (context.is_admin or
                                    row.project_id == context.project_id)

    def find_stack(self, context, stack_name_or_id):
        """The caller's live stack by id, else by name; no resources.

        :raises: StackNotFound naming ``stack_name_or_id``.
        """
        row = store_db.local_stack_get(context, stack_name_or_id)
        if not self._visible(context, row):
            row = store_db.local_stack_get_by_name(
                context, context.project_id, stack_name_or_id)
        if row is None:
            raise exception.StackNotFound(stack_name_or_id)
        return self._stack(row)

    def get_stack(self, context, stack_id, with_resources=True,
                  show_deleted=False):
        """The caller's stack by id (admins: any project's); its row and
        its resources' are read on one connection.

        :raises: StackNotFound naming ``stack_id``.
        """
        def read():
            row = store_db.local_stack_get(context, stack_id,
                                           show_deleted=show_deleted)
            if not self._visible(context, row):
                raise exception.StackNotFound(stack_id)
            if not with_resources:
                return row, None
            return row, store_db.local_resource_list(context, stack_id)
        row, resources = db_api.read_together(context, read)
        return self._stack(row, resources)

    def get_stack_summary(self, context, stack_id):
        """The caller's live stack by id: one row's five columns.

        :raises: StackNotFound naming ``stack_id``.
        """
        row = store_db.local_stack_summary(context, stack_id)
        if not self._visible(context, row):
            raise exception.StackNotFound(stack_id)
        return self._summary(row)

    @staticmethod
    def _summary(row):
        return base.Stack(id=row.id, name=row.name,
                          project_id=row.project_id, action=row.action,
                          status=row.status)

    def get_stack_summary_and_snapshot(self, context, stack_id,
                                       snapshot_id):
        """get_stack_summary and the snapshot's shown columns, or None,
        read with one query.

        :raises: StackNotFound naming ``stack_id``.
        """
        row, snapshot = store_db.local_stack_summary_and_snapshot(
            context, stack_id, snapshot_id)
        if not self._visible(context, row):
            raise exception.StackNotFound(stack_id)
        return self._summary(row), snapshot

    def get_stack_summary_and_snapshots(self, context, stack_id):
        """get_stack_summary and its snapshots' shown columns, read with
        one query.

        :raises: StackNotFound naming ``stack_id``.
        """
        row, snapshots = store_db.local_stack_summary_and_snapshots(
            context, stack_id)
        if not self._visible(context, row):
            raise exception.StackNotFound(stack_id)
        return self._summary(row), snapshots

    def list_stacks(self, context, limit=None, **filters):
        """The caller's live stacks, newest first.

        :param filters: column values to match (a list matches any);
            ``tags_any``: the stacks carrying any of these tags
            (base.carries_any_tag).
        """
        tags = filters.pop(base.TAGS_ANY, None)
        if tags is not None and not base.storable_tags(tags):
            return []
        rows = store_db.local_stack_list(context,
                                         project_id=context.project_id)
        stacks = []
        for row in rows:
            if not all(base.matches_filter(getattr(row, key, None), value)
                       for key, value in filters.items()
                       if key in FILTERS and value is not None):
                continue
            if tags is not None and not base.carries_any_tag(row.tags,
                                                             tags):
                continue
            stacks.append(self._stack(row))
            if limit is not None and len(stacks) >= limit:
                break
        return stacks

    def _stack(self, row, resource_rows=None):
        parameters = {}
        description = tmpl.NO_DESCRIPTION
        try:
            # Validated and normalised when stored; the resources'
            # definitions cost milliseconds per hundred resources on every
            # show.
            parsed = tmpl.Template(row.template, row.files,
                                   row.environment, resources=False,
                                   stored=True)
            description = parsed.description
            parameters = parsed.parameters_as_text(parsed.parameters(
                row.id, row.name, row.project_id))
        except exception.HeatSnapshotsException as error:
            LOG.warning('Stack %s: stored template does not validate: %s',
                        row.id, error)
        resources = None
        if resource_rows is not None:
            resources = nested.with_paths(
                [self._resource(r) for r in resource_rows])
        return base.Stack(
            id=row.id, name=row.name, project_id=row.project_id,
            action=row.action, status=row.status,
            status_reason=row.status_reason,
            template=row.template, environment=row.environment,
            files=row.files or {}, tags=list(row.tags or []),
            stack_user_project_id=row.project_id, user_id=row.user_id,
            username=row.username,
            timeout_mins=row.timeout_mins,
            disable_rollback=bool(row.disable_rollback),
            outputs=list(row.outputs or []), parameters=parameters,
            description=description, created_at=row.created_at,
            updated_at=row.updated_at, deleted_at=row.deleted_at,
            resources=resources)

    @staticmethod
    def _resource(row):
        return base.Resource(
            name=row.name, type=row.type,
            physical_resource_id=row.physical_resource_id,
            action=row.action, status=row.status,
            status_reason=row.status_reason,
            requires=list(row.depends_on or []),
            properties=row.properties or {}, data=row.data or {},
            attributes=row.attributes or {},
            metadata=row.rsrc_metadata or {},
            created_at=row.created_at, updated_at=row.updated_at)

    def _row(self, context, stack_id):
        row = store_db.local_stack_get(context, stack_id)
        if row is None:
            raise exception.StackNotFound(stack_id)
        return row

    # --- states ----------------------------------------------------------

    def set_stack_state(self, context, stack_id, action, status, reason):
        """Show ``action``_``status``; DELETE_COMPLETE deletes the stack."""
        values = {'action': action, 'status': status,
                  'status_reason': reason}
        if action == DELETE and status == states.COMPLETE:
            # Its name is free again: "live" takes part in the unique
            # (project, name, live) constraint, and NULLs never collide.
            values['deleted_at'] = timeutils.utcnow()
            values['live'] = None
        if not _changed(context, stack_id, None, lambda: (
                store_db.local_stack_update(context, stack_id, values))):
            raise exception.StackNotFound(stack_id)

    def set_resource_state(self, context, stack_id, resource_name, action,
                           status, reason=None):
        self.set_resources_states(context, stack_id, [resource_name],
                                  [(action, status, reason)])

    def set_resource_states(self, context, stack_id, resource_name, steps):
        self.set_resources_states(context, stack_id, [resource_name], steps)

    def set_resources_states(self, context, stack_id, resource_names,
                             steps):
        """Each step's events, and the resources left in the last one:
        the states before the last are recorded straight into their
        events (the resources pass through them in this transaction
        only). A statement per step for all the resources.
        """
        *passed, (action, status, reason) = steps

        def write():
            for shown in passed:
                store_db.local_resource_events_add(
                    context, stack_id, resource_names, shown=shown)
            missing = store_db.local_resources_update(
                context, stack_id, resource_names,
                {'action': action, 'status': status,
                 'status_reason': reason})
            if missing:
                raise exception.ResourceNotFound(missing[0])
            store_db.local_resource_events_add(context, stack_id,
                                               resource_names)
        db_api.run_in_transaction(context, write)

    # --- events ----------------------------------------------------------

    def list_events(self, context, stack, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None):
        try:
            rows = store_db.local_event_list(
                context, stack.id, filters=filters, limit=limit,
                marker=marker, sort_keys=sort_keys, sort_dir=sort_dir)
        except ValueError:
            raise exception.Invalid(
                reason='Unknown sort direction \'%s\', must be one of: '
                       'asc, desc' % sort_dir)
        return [base.Event(
            id=row.uuid, resource_name=row.resource_name,
            action=row.resource_action, status=row.resource_status,
            status_reason=row.resource_status_reason,
            physical_resource_id=row.physical_resource_id,
            resource_type=row.resource_type,
            properties=row.resource_properties,
            created_at=row.created_at) for row in rows]

    # --- create ----------------------------------------------------------

    def create_stack(self, context, stack_name, template, params, files,
                     environment, tags=None, timeout_mins=None,
                     disable_rollback=True):
        """Check and store a new stack, CREATE_IN_PROGRESS.

        Nothing is stored unless everything is valid; the stack and its
        resources are stored in one transaction, so a database error
        leaves nothing behind. Names are unique per project among live
        stacks, also for two creates at the same time (a unique
        constraint decides).

        :raises: Invalid for a bad name, InvalidTemplate (also for a
            template over a limit of [heat_snapshots_templates]),
            InvalidParameter, StackExists.
        :returns: the Stack with its resources INIT_COMPLETE.
        """
        tmpl.check_stack_name(stack_name)
        template = tmpl.parse(template)
        files = dict(files or {})
        environment = tmpl.normalise_environment(environment, params)
        parsed = tmpl.Template(template, files, environment)
        stack_id = uuidutils.generate_uuid()
        parameters = parsed.parameters(stack_id, stack_name,
                                       context.project_id)
        if store_db.local_stack_get_by_name(context, context.project_id,
                                            stack_name) is not None:
            raise exception.StackExists(stack_name=stack_name)
        resolver = _Resolver(parameters, files, {})
        resources = [self._resource_values(definition, resolver)
                     for definition in parsed.resources.values()]
        _check_outputs(parsed, resolver)
        _check_nested(parsed, resolver, context.project_id, stack_name,
                      files, environment)
        values = {
            'id': stack_id, 'name': stack_name,
            'project_id': context.project_id, 'user_id': context.user_id,
            'username': context.user_name,
            'action': CREATE, 'status': states.IN_PROGRESS,
            'status_reason': 'Stack CREATE started',
            'template': template, 'environment': environment,
            'files': files, 'tags': _tags(tags),
            'timeout_mins': timeout_mins,
            'disable_rollback': bool(disable_rollback), 'outputs': [],
            'live': True}

        def store():
            store_db.local_stack_create(context, values)
            store_db.local_resources_create(context, stack_id, resources)

        try:
            db_api.run_in_transaction(context, store)
        except db_exc.DBDuplicateEntry:
            raise exception.StackExists(stack_name=stack_name)
        LOG.info('Stack %s (%s) stored, creating', stack_name, stack_id)
        return self.get_stack(context, stack_id)

    @staticmethod
    def _resource_values(definition, resolver):
        """(name, values) of a resource row, INIT_COMPLETE.

        :raises: InvalidTemplate when a function's output is over a limit.
        """
        try:
            properties = functions.resolve(definition.properties, resolver)
        except (ValueError, TypeError):
            properties = copy.deepcopy(definition.properties)
        return definition.name, {
            'type': definition.type, 'action': INIT,
            'status': states.COMPLETE, 'status_reason': None,
            'properties': properties, 'depends_on': definition.requires,
            'data': {}, 'attributes': {},
            'rsrc_metadata': definition.metadata}

    def run_create(self, context, stack_id, resource_data=None):
        """Create every resource; blocks until done.

        :param resource_data: {resource path: data recorded in a
            snapshot} to put back as each resource is made (a clone).
        :raises: WalkFailed naming the first resource that failed.
        """
        row = self._row(context, stack_id)
        run = _Run(self, context, row, row.template, row.files,
                   row.environment, (), resource_data=resource_data,
                   tree=nested.Tree(len(store_db.local_resource_list(
                       context, stack_id))))
        try:
            run.walk(run.parsed.graph(),
                     lambda name: run.create(name, CREATE), 'local-create')
        finally:
            run.store_outputs()

    # --- update and restore ---------------------------------------------

    def prepare_update(self, context, stack, template, params, files,
                       environment, existing=False, tags=None,
                       timeout_mins=None):
        """The checked definition of an update; nothing changes yet.

        :param existing: PATCH: no template keeps the current one, params,
            environment and files are merged into the current ones.
        :raises: InvalidTemplate, InvalidParameter, Invalid.
        :returns: a dict: template, environment, files, tags,
            timeout_mins.
        """
        row = self._row(context, stack.id)
        if existing:
            template = row.template if template is None else \
                tmpl.parse(template)
            environment = tmpl.merge_environments(row.environment,
                                                  environment, params)
            files = dict(row.files or {}, **(files or {}))
        else:
            if template is None:
                raise exception.InvalidTemplate(reason='No template '
                                                       'specified.')
            template = tmpl.parse(template)
            environment = tmpl.normalise_environment(environment, params)
            files = dict(files or {})
        parsed = tmpl.Template(template, files, environment)
        parameters = parsed.parameters(row.id, row.name, row.project_id)
        # What the functions compute, within the limits, before a 202.
        resolver = _Resolver(parameters, files, {})
        for definition in parsed.resources.values():
            self._resource_values(definition, resolver)
        _check_outputs(parsed, resolver)
        _check_nested(parsed, resolver, row.project_id, row.name, files,
                      environment)
        return {
            'template': template, 'environment': environment,
            'files': files,
            'tags': list(row.tags or []) if tags is None else _tags(tags),
            'timeout_mins': (row.timeout_mins if timeout_mins is None
                             else timeout_mins),
        }

    def run_update(self, context, stack_id, definition, action=UPDATE,
                   resource_data=None, cancelled=None):
        """Bring the stack's resources to ``definition``; blocks.

        Removed resources are deleted after the others are done, in
        reverse dependency order; added ones created; changed ones updated
        in place or replaced; unchanged ones kept (with action RESTORE,
        every resource shows RESTORE and gets its ``resource_data`` back).

        :param resource_data: {resource name: data recorded in a snapshot}
            to put back (RESTORE).
        :param cancelled: ``cancelled()`` true: no further resource starts.
        :raises: WalkFailed naming the first resource that failed;
            OperationCancelled.
        """
        row = self._row(context, stack_id)
        template = tmpl.parse(definition['template'])
        files = dict(definition.get('files') or {})
        environment = tmpl.normalise_environment(
            definition.get('environment'))
        values = {'template': template, 'environment': environment,
                  'files': files}
        if 'tags' in definition:
            values['tags'] = _tags(definition['tags'])
        if definition.get('timeout_mins') is not None:
            values['timeout_mins'] = definition['timeout_mins']
        rows = store_db.local_resource_list(context, stack_id)
        run = _Run(self, context, row, template, files, environment,
                   rows, resource_data=resource_data or {},
                   action=action, timeout_mins=values.get('timeout_mins'),
                   tree=nested.Tree(len(rows)), cancelled=cancelled)
        store_db.local_stack_update(context, stack_id, values)
        try:
            run.update_all()
        finally:
            run.store_outputs()

    def restore(self, context, stack, template, environment, files,
                resource_data, cancelled=None):
        """Update ``stack`` to a snapshot's definition, its data put back.

        :raises: WalkFailed naming the first resource that failed.
        """
        self.run_update(context, stack.id,
                        {'template': template, 'environment': environment,
                         'files': files, 'tags': stack.tags},
                        action=RESTORE, resource_data=resource_data,
                        cancelled=cancelled)

    def preview_restore(self, context, stack, template, environment,
                        files):
        """What ``restore`` would do to each resource, by the rules the
        update follows (``_Run.plan``); nothing changes.

        :returns: {change: [resource]} (see StackDriver.preview_restore).
        """
        row = self._row(context, stack.id)
        template = tmpl.parse(template)
        rows = store_db.local_resource_list(context, stack.id)
        run = _Run(self, context, row, template, dict(files or {}),
                   environment, rows, action=RESTORE,
                   tree=nested.Tree(len(rows)))
        identity = formatters.stack_identity(stack)
        return {change: [_preview_entry(stack, identity, path, rtype,
                                        reason, old)
                         for path, rtype, reason, old in entries]
                for change, entries in run.preview_all().items()}

    # --- clone -----------------------------------------------------------

    def create_clone(self, context, stack_name, template, environment,
                     files, parameters, tags=None):
        """Store a new stack of a snapshot's definition (see
        create_stack); ``parameters`` override the environment's.
        """
        return self.create_stack(context, stack_name, template,
                                 parameters or {}, files, environment,
                                 tags=tags)

    def run_clone(self, context, stack, resource_data):
        """Create the clone's resources, each with its snapshot data put
        back (as a restore does); blocks.
        """
        self.run_create(context, stack.id, resource_data=resource_data)

    # --- delete ----------------------------------------------------------

    def run_delete(self, context, stack_id):
        """Delete every resource in reverse dependency order; blocks.

        :raises: WalkFailed naming the first resource that failed.
        """
        row = self._row(context, stack_id)
        rows = store_db.local_resource_list(context, stack_id)
        run = _Run(self, context, row, None, row.files, row.environment,
                   rows, action=DELETE,
                   tree=nested.Tree(len(rows)))
        run.delete_all()


def _changed(context, stack_id, resource_name, update):
    """``update()`` and, when it changed something, the event recording
    the state it left the stack (or its resource) in: one transaction.
    """
    def write():
        changed = update()
        if changed and resource_name is not None:
            store_db.local_resource_event_add(context, stack_id,
                                              resource_name)
        elif changed:
            store_db.local_stack_event_add(context, stack_id)
        return changed
    return db_api.run_in_transaction(context, write)


def _set_one(context, stack_id, path, values, passed=None):
    """_Run._set's write: one UPDATE, and the event of a new state.

    :param passed: (action, status, reason) the resource passed through
        before ``values``: its event is recorded first (the step of an
        instant type, its start and outcome written together).
    :returns: whether the resource exists.
    """
    def update():
        if passed is not None:
            store_db.local_resource_event_add(context, stack_id, path,
                                              shown=passed)
        return store_db.local_resource_update(context, stack_id, path,
                                              values)
    if 'status' in values:
        return _changed(context, stack_id, path, update)
    return update()


def _set_many(context, items):
    """_Run._set's writes for each item (stack_id, path, values, passed)
    at once: the events of the states passed through, an UPDATE per shape
    of values for all, then the events of those whose state changed, a
    statement for each stack's (and state passed through); last, the rows
    of the items whose ``values`` are None (resources deleted, _Run.delete)
    go, a statement for each stack's.
    """
    passed_through = collections.OrderedDict()
    events = collections.OrderedDict()
    gone = collections.OrderedDict()
    for stack_id, path, values, passed in items:
        if values is None:
            gone.setdefault(stack_id, []).append(path)
            continue
        if passed is not None:
            passed_through.setdefault((stack_id, passed), []).append(path)
        if 'status' in values:
            events.setdefault(stack_id, []).append(path)
    for (stack_id, passed), paths in passed_through.items():
        store_db.local_resource_events_add(context, stack_id, paths,
                                           shown=passed)
    store_db.local_resource_update_many(context, [
        (stack_id, path, values) for stack_id, path, values, _ in items
        if values is not None])
    for stack_id, paths in events.items():
        store_db.local_resource_events_add(context, stack_id, paths)
    for stack_id, paths in gone.items():
        store_db.local_resources_delete(context, stack_id, paths)
    return [True] * len(items)


def _write_waves(context, waves):
    """The writes of steps done at once (_Run._at_once): ``_set_many`` of
    each wave's items, wave after wave, in one transaction.
    """
    def write():
        for items in waves:
            if items:
                _set_many(context, items)
    db_api.run_in_transaction(context, write)


def _preview_entry(stack, identity, path, type_name, reason, old):
    """One resource in Heat's update-preview format, with why it is
    listed (``reason``) and, inside a nested stack, the path of the
    resource owning it (``parent_resource``).
    """
    parent, _sep, name = path.rpartition(nested.SEPARATOR)
    entry = {
        'resource_name': name,
        'resource_type': type_name,
        'physical_resource_id': (old.physical_resource_id
                                 if old is not None else None) or '',
        'resource_action': old.action if old is not None else INIT,
        'resource_status': (old.status if old is not None
                            else states.COMPLETE),
        'resource_status_reason': (old.status_reason
                                   if old is not None else None) or '',
        'updated_time': formatters.format_time(
            (old.updated_at or old.created_at) if old is not None
            else None),
        'stack_identity': identity,
        'stack_name': stack.name,
        'reason': reason,
    }
    if parent:
        entry['parent_resource'] = parent
    return entry


def _check_outputs(parsed, resolver):
    """:raises: InvalidTemplate when an output's functions are over a
    limit (other errors show on the output once the stack is created).
    """
    for snippet in parsed.outputs.values():
        try:
            functions.resolve(snippet.get('value'), resolver)
        except (ValueError, TypeError):
            pass


def _level(rows, prefix):
    """{name in its stack: row} of the rows of the stack at ``prefix``."""
    by_path = {row.name: row for row in rows}
    return {name: by_path[path]
            for name, path in nested.level(by_path, prefix).items()}


def _parents(rows, prefix):
    """The names in the stack at ``prefix`` with a nested stack's rows
    among ``rows``.
    """
    return {row.name[len(prefix):].split(nested.SEPARATOR, 1)[0]
            for row in rows if row.name.startswith(prefix) and
            nested.SEPARATOR in row.name[len(prefix):]}


def _check_nested(parsed, resolver, project_id, stack_name, files,
                  environment, tree=None, depth=0):
    """Check the nested stacks of ``parsed`` before anything is stored.

    Each nested stack whose definition is known before the resources
    exist (its properties need no other resource) is checked as a
    template, within the limits of the whole tree: depth, resources and
    size.

    :raises: InvalidTemplate naming the resource and the problem;
        RequestLimitExceeded past a limit of the tree.
    """
    if tree is None:
        tree = nested.Tree()
        tree.add_template(parsed.t)
        tree.budget = resolver.budget
    tree.add_resources(len(parsed.resources))
    registry = environment.get('resource_registry')
    for name, definition in parsed.resources.items():
        type_class = definition.type_class
        if not getattr(type_class, 'nested', False) or \
                functions.dependencies(definition.properties):
            continue
        tree.check_depth(depth + 1)
        path = 'resources.%s.properties' % name
        try:
            properties = type_class.check_properties(
                functions.resolve(definition.properties, resolver), path)
            child = type_class.named(name).child(properties, files, registry)
            tree.add_template(child.template)
            child_environment = tmpl.normalise_environment(
                child.environment())
            child_parsed = tmpl.Template(child.template, child.files,
                                         child_environment)
            child_resolver = _Resolver(
                child_parsed.parameters(None, name, project_id),
                child.files, {}, tree.budget)
            _check_outputs(child_parsed, child_resolver)
            _check_nested(child_parsed, child_resolver, project_id, name,
                          child.files, child_environment, tree, depth + 1)
        except exception.RequestLimitExceeded:
            raise
        except resource_types.PropertyError as error:
            raise exception.InvalidTemplate(reason='Property error: %s'
                                            % error)
        except (exception.Invalid, ValueError, TypeError) as error:
            raise exception.InvalidTemplate(
                reason='resources.%s<%s>: %s' % (
                    name, getattr(type_class, 'template_name', None) or
                    'nested_stack', getattr(error, 'kwargs', {}).get(
                        'reason') or error))


def _tags(tags):
    if tags is None:
        return []
    if isinstance(tags, str):
        return [tag.strip() for tag in tags.split(',') if tag.strip()]
    return [str(tag) for tag in tags]


class _Run:
    """One create, update or delete of one stack's resources.

    The nested stack of a resource (nested.py) has a run of its own,
    sharing the top stack's deadline, lock and limits (``tree``): its
    resources are the top stack's rows named ``prefix`` + their name.
    """

    def __init__(self, driver, context, row, template, files, environment,
                 rows, resource_data=None, action=CREATE,
                 timeout_mins=None, tree=None, parent=None, prefix='',
                 identity=None, cancelled=None):
        self.driver = driver
        self.context = context
        self.row = row
        self.stack_id = row.id
        #: {name: row} of the stack's resources as stored.
        self.old = _level(rows, prefix)
        #: The names with a nested stack's rows under them.
        self.parents = _parents(rows, prefix)
        self.resource_data = resource_data or {}
        self.action = action
        self.prefix = prefix
        self.files = files or {}
        if parent is None:
            timeout_mins = timeout_mins or row.timeout_mins
            timeout = (timeout_mins * 60 if timeout_mins else
                       driver.conf.heat_snapshots.action_timeout)
            self.deadline = time.monotonic() + timeout
            self.lock = threading.Lock()
            self.tree = tree or nested.Tree()
            self.depth = 0
            # A restore a user cancelled starts no further resource.
            self.cancelled = cancelled
            identity = (row.project_id, row.name, row.id)
        else:
            self.deadline = parent.deadline
            self.lock = parent.lock
            self.tree = parent.tree
            self.depth = parent.depth + 1
            self.cancelled = parent.cancelled
        # (project id, stack name, stack id) of the stack of this run.
        self.identity = identity
        self.live = {}
        #: {path: values} of the instant steps under way (see _step).
        self.held = {}
        #: The writes of the steps done at once, while they are (_at_once).
        self.collected = None
        self.environment = tmpl.normalise_environment(environment)
        self.parsed = None
        if template is None:
            return
        self.parsed = tmpl.Template(template, files, self.environment)
        if parent is None:
            # The top template counts toward the tree's size, as when
            # the stack was checked.
            self.tree.add_template(self.parsed.t)
        parameters = self.parsed.parameters(identity[2], identity[1],
                                            identity[0])
        for name, resource in self.old.items():
            if name in self.parsed.resources:
                self.live[name] = self._live(
                    name, self.parsed.resources[name].type_class,
                    resource.physical_resource_id, resource.attributes,
                    resource.properties)
        self.resolver = _Resolver(parameters, files, self.live,
                                  self.tree.budget)

    @property
    def _concurrency(self):
        return self.driver.conf.heat_snapshots.walk_concurrency

    def _path(self, name):
        return self.prefix + name

    def _live(self, name, type_class, physical_id, attributes, properties):
        identity = None
        if getattr(type_class, 'nested', False) and physical_id:
            identity = self._nested_identity(name, physical_id)
        return _Live(physical_id, attributes, properties, type_class,
                     identity)

    def _nested_identity(self, name, physical_id):
        return (self.identity[0],
                formatters.nested_stack_name(self.identity[1], name,
                                             physical_id), physical_id)

    def _set(self, name, values, passed=None):
        # One UPDATE: walk threads write at the same time. A new state is
        # an event.
        # Committed with the other walk threads' changes (group_commit).
        path = self._path(name)
        held = self.held.get(path)
        if held is not None:
            # An instant step's: written with its outcome (_step).
            held.update(values)
            return
        if self.collected is not None:
            self.collected.append((self.stack_id, path, values, passed))
            return
        if not group_commit.write(
                self.context,
                lambda context: _set_one(context, self.stack_id, path,
                                         values, passed),
                many=_set_many, item=(self.stack_id, path, values, passed)):
            raise exception.ResourceNotFound(path)

    def _properties(self, definition, type_class):
        properties = functions.resolve(definition.properties,
                                       self.resolver)
        return type_class.check_properties(
            properties, 'resources.%s.properties' % definition.name)

    def _step(self, name, action, work, instant=False, **values):
        """Show ``action`` IN_PROGRESS, do ``work``, show the outcome.

        :param instant: ``work`` takes no time and makes nothing outside
            the store (an instant type's): what it writes is held and
            written with the outcome, in one change that records the
            IN_PROGRESS event first, as the snapshot of a resource whose
            plugin makes no artifact is.
        """
        path = self._path(name)
        passed = None
        if instant:
            passed = (action, states.IN_PROGRESS, STATE_CHANGED)
            self.held[path] = dict(values)
        else:
            self._set(name, dict(values, action=action,
                                 status=states.IN_PROGRESS,
                                 status_reason=STATE_CHANGED))
        try:
            work()
        except Exception as error:
            LOG.info('Resource %s of stack %s: %s failed: %s',
                     path, self.stack_id, action, error)
            outcome = {'action': action, 'status': states.FAILED,
                       'status_reason': exception.user_message(
                           error, self.context.request_id)}
            self._set(name, dict(self.held.pop(path, {}),
                                 **outcome), passed)
            raise
        outcome = {'action': action, 'status': states.COMPLETE,
                   'status_reason': STATE_CHANGED}
        self._set(name, dict(self.held.pop(path, {}),
                             **outcome), passed)

    def _operation(self, action, default):
        # What a TestResource waits and fails by.
        if action == RESTORE:
            return resource_types.RESTORE
        return default

    # --- the stack's resources, all of them --------------------------------

    def walk(self, graph, action, name, instant=None, cancellable=True):
        """``action`` for each resource of ``graph`` after those it
        requires, as ``walk.walk`` does, the instant steps first (_at_once).

        :param instant: whether a resource's step is instant (default:
            _instant, a create's or update's).
        :param cancellable: a user's cancel of the operation stops it.
        """
        cancelled = self.cancelled if cancellable else None
        done = self._at_once(graph, action, name, instant or self._instant,
                             cancelled)
        walk.walk({node: set(requires) - done
                   for node, requires in graph.items() if node not in done},
                  action, self._concurrency, self.deadline, name=name,
                  cancelled=cancelled)

    def _instant(self, name):
        definition = self.parsed.resources[name]
        old = self.old.get(name)
        return definition.type_class.instant and (
            old is None or old.type == definition.type)

    def _instant_delete(self, name):
        """Whether the delete of ``name`` is an instant step: its type is
        instant and no nested stack's rows are under it (which its delete
        would have to walk first).
        """
        return self._old_type(name).instant and name not in self.parents

    def _old_type(self, name):
        """The type class of the stored resource ``name``."""
        return (tmpl.resource_type(self.environment, name,
                                   self.old[name].type, self.files)
                or resource_types.ResourceType)

    def _at_once(self, graph, action, name, instant, cancelled):
        """Do, before the walk, the steps of the instant resources whose
        dependencies are instant too (``OS::Heat::None``, ``Value``...):
        one after the other, dependencies first, their writes AT_ONCE
        steps per transaction instead of a change each. What they write is
        what their steps in the walk would: each resource's start and
        outcome, events included, a resource's start after the outcomes
        of those it requires (``walk.waves``); a step that fails is
        written with those done before it, and ends the run as the walk
        would (WalkFailed).

        :returns: the names done.
        """
        order = walk.leading(graph, instant)
        for start in range(0, len(order), AT_ONCE):
            if time.monotonic() > self.deadline:
                raise exception.OperationTimeout(operation=name,
                                                 seconds='the allowed')
            if cancelled is not None and cancelled():
                raise exception.OperationCancelled()
            written, failure = self._collect(
                walk.waves(order[start:start + AT_ONCE], graph), action)
            if any(written):
                _write_waves(self.context, written)
            if failure is not None:
                raise failure
        return set(order)

    def _collect(self, waves, action):
        """Do each wave's steps, collecting their writes.

        :returns: (a list of the items written per wave, WalkFailed for
            the step that failed or None).
        """
        written = []
        try:
            for wave in waves:
                self.collected = []
                written.append(self.collected)
                for node in wave:
                    try:
                        action(node)
                    except Exception as error:
                        return written, walk.WalkFailed(node, error)
        finally:
            self.collected = None
        return written, None

    def update_all(self):
        """Bring every resource to the template: removed ones deleted
        after the others are done, in reverse dependency order.
        """
        added = [name for name in self.parsed.resources
                 if name not in self.old]
        self.tree.add_resources(len(added))
        for name in added:
            name, values = self.driver._resource_values(
                self.parsed.resources[name], self.resolver)
            store_db.local_resource_set(self.context, self.stack_id,
                                        self._path(name), values, new=True)
        self.walk(self.parsed.graph(), self.update, 'local-update')
        removed = {name: set(r.depends_on or ())
                   for name, r in self.old.items()
                   if name not in self.parsed.resources}
        removed = {name: requires & set(removed)
                   for name, requires in removed.items()}
        self.walk(walk.reverse(removed), self.delete, 'local-update-delete',
                  instant=self._instant_delete)

    def delete_all(self):
        """Delete every resource, in reverse dependency order."""
        graph = {name: set(r.depends_on or ()) & set(self.old)
                 for name, r in self.old.items()}
        self.walk(walk.reverse(graph), self.delete, 'local-delete',
                  instant=self._instant_delete, cancellable=False)

    # --- one resource ------------------------------------------------------

    def create(self, name, action):
        """Create ``name`` anew (a new physical id), shown as ``action``."""
        definition = self.parsed.resources[name]
        old = self.old.get(name)

        def work():
            if old is not None and old.type != definition.type:
                # What the old type's nested stack held goes first.
                self._delete_nested(name)
            rtype = definition.type_class.named(name)
            properties = self._properties(definition,
                                          definition.type_class)
            data = rtype.handle_create(properties)
            self._finish(name, rtype, properties, data,
                         uuidutils.generate_uuid(),
                         self._operation(action, resource_types.CREATE))

        # (A type changed: the event of its start names the new type.)
        instant = definition.type_class.instant and (
            old is None or old.type == definition.type)
        self._step(name, action, work, instant=instant,
                   type=definition.type, depends_on=definition.requires,
                   rsrc_metadata=definition.metadata)

    def _finish(self, name, rtype, properties, data, physical_id,
                operation, **values):
        """Store what exists now (and ``values``), then let the type take
        its time.
        """
        path = self._path(name)
        if path in self.resource_data:
            data = rtype.restore_data(properties, data,
                                      self.resource_data[path])
        attributes = rtype.resolve_attributes(properties, data)
        self._set(name, dict(values, physical_resource_id=physical_id,
                             properties=properties, data=data,
                             attributes=attributes))
        rtype.run(operation, properties, self.deadline)
        if getattr(rtype, 'nested', False):
            attributes = self._run_nested(name, rtype, properties,
                                          physical_id)
            self._set(name, {'attributes': attributes})
        live = self._live(name, type(rtype), physical_id, attributes,
                          properties)
        with self.lock:
            self.live[name] = live

    def plan(self, name):
        """What the update does to ``name``, decided from its old row and
        new definition: the one rule both the update and its preview
        follow.

        :returns: a Plan: ``change`` is ADDED, REPLACED, UPDATED or
            UNCHANGED; ``properties`` and ``rtype`` are set for a resource
            kept (UPDATED, UNCHANGED) or replaced in the same type.
        :raises: what resolving the new properties raises.
        """
        definition = self.parsed.resources[name]
        old = self.old.get(name)
        if old is None:
            return Plan(ADDED, 'added', None, None)
        created = not (old.action == INIT or
                       (old.action == CREATE and
                        old.status != states.COMPLETE) or
                       old.physical_resource_id is None)
        if old.type != definition.type:
            return Plan(REPLACED, 'type changed from %s to %s' % (
                old.type, definition.type), None, None)
        if not created:
            return Plan(REPLACED, 'not created', None, None)
        rtype = definition.type_class.named(name)
        properties = self._properties(definition, definition.type_class)
        old_properties = old.properties or {}
        # A nested stack is always updated, as in Heat: its template (a
        # file, a member's definition) may have changed.
        nested_type = getattr(rtype, 'nested', False)
        reason = None
        if properties != old_properties:
            reason = 'properties changed: %s' % ', '.join(sorted(
                key for key in set(properties) | set(old_properties)
                if key not in properties or key not in old_properties or
                properties[key] != old_properties[key]))
        if definition.metadata != (old.rsrc_metadata or {}):
            reason = reason or 'metadata changed'
        if old.status == states.FAILED:
            reason = reason or 'in %s_FAILED' % old.action
        if nested_type:
            reason = reason or 'nested stack'
        if reason is None:
            return Plan(UNCHANGED, None, properties, rtype)
        if rtype.needs_replace(old_properties, properties):
            return Plan(REPLACED, reason, properties, rtype)
        return Plan(UPDATED, reason, properties, rtype)

    def update(self, name):
        """Bring ``name`` to its new definition (as ``plan`` decides)."""
        definition = self.parsed.resources[name]
        old = self.old.get(name)
        try:
            plan = self.plan(name)
        except Exception as error:
            self._set(name, {'action': self.action, 'status': states.FAILED,
                             'status_reason': exception.user_message(
                                 error, self.context.request_id)})
            raise
        if plan.change == ADDED:
            return self.create(name, RESTORE if self.action == RESTORE
                               else CREATE)
        if plan.rtype is None:
            return self.create(name, self.action)
        if list(old.depends_on or []) != definition.requires:
            self._set(name, {'depends_on': definition.requires})
        if plan.change == UNCHANGED and self.action != RESTORE:
            return
        rtype, properties = plan.rtype, plan.properties

        def work():
            if plan.change == REPLACED:
                data = rtype.handle_create(properties)
                physical_id = uuidutils.generate_uuid()
            elif plan.change == UPDATED:
                data = rtype.handle_update(properties, old.data or {})
                physical_id = old.physical_resource_id
            else:
                data = dict(old.data or {})
                physical_id = old.physical_resource_id
            self._finish(name, rtype, properties, data, physical_id,
                         self._operation(self.action,
                                         resource_types.UPDATE),
                         rsrc_metadata=definition.metadata)

        self._step(name, self.action, work, instant=rtype.instant)

    def preview_all(self):
        """What ``update_all`` would do, nothing changed: {change: [(path,
        type, reason, old row or None)]}, the resources of nested stacks
        kept or updated included (their stacks as they are now).
        """
        changes = {change: [] for change in CHANGES}
        for name in self.parsed.resources:
            plan = self.plan(name)
            old = self.old.get(name)
            definition = self.parsed.resources[name]
            changes[plan.change].append((self._path(name), definition.type,
                                         plan.reason, old))
            if plan.change == UPDATED and \
                    getattr(plan.rtype, 'nested', False):
                for change, entries in self._preview_nested(
                        name, plan.rtype, plan.properties,
                        old.physical_resource_id).items():
                    changes[change].extend(entries)
        for name, old in self.old.items():
            if name not in self.parsed.resources:
                changes[DELETED].append((self._path(name), old.type,
                                         'not in the new template', old))
        return changes

    def _preview_nested(self, name, rtype, properties, physical_id):
        child = rtype.child(properties, self.files,
                            self.environment.get('resource_registry'))
        _prefix, rows = self._children(name)
        run = _Run(self.driver, self.context, self.row, child.template,
                   child.files, child.environment(), rows,
                   resource_data=self.resource_data, action=self.action,
                   parent=self, prefix=self._path(name) + nested.SEPARATOR,
                   identity=self._nested_identity(name, physical_id))
        return run.preview_all()

    def delete(self, name):
        """Delete ``name`` (a resource of the old definition)."""
        old = self.old[name]
        instant = self._instant_delete(name)

        def work():
            if not instant:
                self._delete_nested(name)
            rtype = self._old_type(name).named(name)
            properties = old.properties or {}
            if old.action != INIT:
                rtype.run(resource_types.DELETE, properties, self.deadline)
                rtype.handle_delete(properties, old.data or {})

        self._step(name, DELETE, work, instant=instant)
        path = self._path(name)
        gone = (self.stack_id, path, None, None)
        if self.collected is not None:
            self.collected.append(gone)
        else:
            group_commit.write(
                self.context, lambda context: store_db.local_resources_delete(
                    context, self.stack_id, [path]),
                many=_set_many, item=gone)
        self.tree.add_resources(-1)

    # --- nested stacks -----------------------------------------------------

    def _children(self, name):
        # Only the nested stack's rows: every resource deleted asks (a
        # read of the whole stack each made a delete of N resources N^2).
        prefix = self._path(name) + nested.SEPARATOR
        return prefix, store_db.local_resource_list(
            self.context, self.stack_id, prefix=prefix)

    def _run_nested(self, name, rtype, properties, physical_id):
        """Create or update the nested stack of ``name``; the resource's
        attributes from it.

        :raises: RequestLimitExceeded past a limit of the tree.
        """
        self.tree.check_depth(self.depth + 1)
        child = rtype.child(properties, self.files,
                            self.environment.get('resource_registry'))
        self.tree.add_template(child.template)
        prefix, rows = self._children(name)
        identity = self._nested_identity(name, physical_id)
        run = _Run(self.driver, self.context, self.row, child.template,
                   child.files, child.environment(), rows,
                   resource_data=self.resource_data, action=self.action,
                   parent=self, prefix=prefix, identity=identity)
        run.update_all()
        members = {member: (live.reference, live.attributes)
                   for member, live in run.live.items()}
        outputs = {output['output_key']: output.get('output_value')
                   for output in run.outputs()}
        return rtype.nested_attributes(identity, members, outputs)

    def _delete_nested(self, name):
        """Delete the resources of the nested stack of ``name``, if any."""
        prefix, rows = self._children(name)
        if not rows:
            return
        run = _Run(self.driver, self.context, self.row, None, self.files,
                   self.environment, rows, action=DELETE, parent=self,
                   prefix=prefix, identity=self.identity)
        run.delete_all()

    # --- outputs ---------------------------------------------------------

    def outputs(self):
        """[{output_key, description, output_value or output_error}]."""
        outputs = []
        for key, snippet in self.parsed.outputs.items():
            output = {'output_key': key,
                      'description': (snippet.get('description') or
                                      NO_OUTPUT_DESCRIPTION)}
            try:
                output['output_value'] = functions.resolve(
                    snippet.get('value'), self.resolver)
            except (ValueError, TypeError,
                    exception.InvalidTemplate) as error:
                output['output_value'] = None
                output['output_error'] = str(error)
            outputs.append(output)
        return outputs

    def store_outputs(self):
        store_db.local_stack_update(self.context, self.stack_id,
                                    {'outputs': self.outputs()})
