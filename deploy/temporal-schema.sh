#!/bin/sh
# One-shot (docker-compose `temporal-schema`, image temporalio/admin-tools): creates Temporal's two
# databases on our PostgreSQL and brings their schemas to the server's version. Idempotent: `create`
# fails harmlessly on an existing database, `update-schema` applies only what is missing.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }
for db in temporal temporal_visibility; do
  tool --db "$db" create || true
done
tool --db temporal setup-schema -v 0.0
tool --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
tool --db temporal_visibility setup-schema -v 0.0
tool --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
echo 'Temporal schema ready'
