# Sourced by .ci/run: a PostgreSQL server for the run store's tests (tests/tracking/test_store.py).
# Debian's `postgresql`, installed only when missing; a server of our own on loopback (127.0.0.1:55432,
# its socket in /tmp) with its own data folder, never the system's cluster; run as the `postgres` user
# when we are root (initdb refuses root); stopped and its folder removed when the sourcing shell exits.
# Exports ALLOCATOR_TEST_POSTGRES (the database's URL) and ALLOCATOR_REQUIRE_POSTGRES=1, under which
# the PostgreSQL tests fail instead of skipping, so that CI cannot pass without them.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_PORT=${ALLOCATOR_CI_PG_PORT:-55432}
PG_HOME=$(mktemp -d "${TMPDIR:-/tmp}/allocator-ci-postgres.XXXXXX")
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$PG_HOME"; fi
stop_postgres() {
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_HOME/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_HOME"
}
trap stop_postgres EXIT
as_postgres "$PG_BIN/initdb" -D "$PG_HOME/data" -U postgres -A trust --no-sync >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$PG_HOME/data" -l "$PG_HOME/server.log" -w \
    -o "-k /tmp -h 127.0.0.1 -p $PG_PORT" start >/dev/null
as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres allocator_test
export ALLOCATOR_TEST_POSTGRES="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/allocator_test"
export ALLOCATOR_REQUIRE_POSTGRES=1
