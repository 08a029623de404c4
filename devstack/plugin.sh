#!/bin/bash
# plugin.sh - DevStack plugin: heat-snapshots beside Heat
#
# Installs heat-snapshots, creates its database, registers it in Keystone,
# configures it in heat.conf and starts heat-snapshots-api (h-snap-api)
# and heat-snapshots-engine (h-snap-eng).

# Save trace setting
_XTRACE_HEAT_SNAPSHOTS=$(set +o | grep xtrace)
set -o xtrace


# Functions
# ---------

function install_heat_snapshots {
    setup_develop "$HEAT_SNAPSHOTS_DIR"
}

# The command line of every heat-snapshots command.
function _heat_snapshots_config_args {
    echo "--config-file $HEAT_CONF --config-file $HEAT_SNAPSHOTS_CONF"
}

function configure_heat_snapshots {
    sudo install -d -o "$STACK_USER" "$HEAT_SNAPSHOTS_CONF_DIR"
    rm -f "$HEAT_SNAPSHOTS_CONF"
    touch "$HEAT_SNAPSHOTS_CONF"

    # Our own groups go into heat.conf, which Heat ignores.
    iniset "$HEAT_CONF" heat_snapshots host "$(hostname)"
    iniset "$HEAT_CONF" heat_snapshots stack_driver \
        "$HEAT_SNAPSHOTS_STACK_DRIVER"
    iniset "$HEAT_CONF" heat_snapshots_api bind_host \
        "$HEAT_SNAPSHOTS_SERVICE_HOST"
    iniset "$HEAT_CONF" heat_snapshots_api bind_port \
        "$HEAT_SNAPSHOTS_SERVICE_PORT"
    iniset "$HEAT_CONF" heat_snapshots_api auth_strategy keystone

    # Groups Heat uses too: in our file, read after heat.conf, so that
    # Heat keeps its own database and service user.
    iniset "$HEAT_SNAPSHOTS_CONF" database connection \
        "$(database_connection_url heat_snapshots)"
    configure_keystone_authtoken_middleware "$HEAT_SNAPSHOTS_CONF" \
        heat-snapshots
    if [[ "$HEAT_SNAPSHOTS_NOTIFICATIONS" == "True" ]]; then
        iniset "$HEAT_SNAPSHOTS_CONF" oslo_messaging_notifications driver \
            messagingv2
    fi
}

function create_heat_snapshots_accounts {
    create_service_user "heat-snapshots" "admin"
    if [[ "$HEAT_SNAPSHOTS_REGISTER_ENDPOINT" == "True" ]]; then
        local url
        url="$HEAT_SNAPSHOTS_SERVICE_PROTOCOL://$HEAT_SNAPSHOTS_SERVICE_HOST"
        url="$url:$HEAT_SNAPSHOTS_SERVICE_PORT/v1/\$(project_id)s"
        get_or_create_service "heat-snapshots" "stack-snapshots" \
            "Heat stack snapshots"
        get_or_create_endpoint "stack-snapshots" "$REGION_NAME" "$url"
    fi
}

function init_heat_snapshots {
    recreate_database heat_snapshots
    # shellcheck disable=SC2046
    "$HEAT_SNAPSHOTS_BIN_DIR/heat-snapshots-manage" \
        $(_heat_snapshots_config_args) db sync
    # shellcheck disable=SC2046
    "$HEAT_SNAPSHOTS_BIN_DIR/heat-snapshots-status" \
        $(_heat_snapshots_config_args) upgrade check || \
        [[ $? -eq 1 ]]
}

function start_heat_snapshots {
    local args
    args=$(_heat_snapshots_config_args)
    run_process h-snap-eng "$HEAT_SNAPSHOTS_BIN_DIR/heat-snapshots-engine $args"
    run_process h-snap-api "$HEAT_SNAPSHOTS_BIN_DIR/heat-snapshots-api $args"
    if is_service_enabled h-snap-api; then
        local url
        url="$HEAT_SNAPSHOTS_SERVICE_PROTOCOL://$HEAT_SNAPSHOTS_SERVICE_HOST"
        url="$url:$HEAT_SNAPSHOTS_SERVICE_PORT/healthcheck"
        if ! wait_for_service "$SERVICE_TIMEOUT" "$url"; then
            die $LINENO "heat-snapshots-api did not start"
        fi
    fi
}

function stop_heat_snapshots {
    stop_process h-snap-api
    stop_process h-snap-eng
}

function cleanup_heat_snapshots {
    sudo rm -rf "$HEAT_SNAPSHOTS_CONF_DIR"
}


# Dispatcher
# ----------

if is_service_enabled h-snap-api h-snap-eng; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing heat-snapshots"
        install_heat_snapshots
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring heat-snapshots"
        configure_heat_snapshots
        if is_service_enabled keystone; then
            create_heat_snapshots_accounts
        fi
        init_heat_snapshots
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting heat-snapshots"
        start_heat_snapshots
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_heat_snapshots
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_heat_snapshots
    fi
fi

# Restore xtrace
$_XTRACE_HEAT_SNAPSHOTS
