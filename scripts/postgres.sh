#!/bin/sh
# Start a local PostgreSQL server for the integration tests and print an admin URL for them.
# Installs the Debian package when it is missing (as root), starts the first cluster, and makes
# a role that may create the throw-away test databases.
set -e
if ! command -v pg_lsclusters >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
cluster=$(pg_lsclusters --no-header | head -n 1)
version=$(echo "$cluster" | awk '{print $1}')
name=$(echo "$cluster" | awk '{print $2}')
port=$(echo "$cluster" | awk '{print $3}')
if ! echo "$cluster" | grep -q online; then
    pg_ctlcluster "$version" "$name" start >&2
fi
su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_roles WHERE rolname = 'miaopi_test'\"" | grep -q 1 ||
    su postgres -c "psql -q -p $port -c \"CREATE ROLE miaopi_test LOGIN CREATEDB PASSWORD 'miaopi_test'\"" >&2
# dropping a test database ends its sessions, autovacuum's among them
su postgres -c "psql -q -p $port -c \"GRANT pg_signal_backend TO miaopi_test\"" >&2
echo "postgresql+psycopg://miaopi_test:miaopi_test@127.0.0.1:$port/postgres"
