#!/usr/bin/env bash
# Sourced by scripts/test.sh: starts a throwaway PostgreSQL 15 (Debian's postgresql-15) on
# loopback in a temporary folder, configures psqlODBC (odbc-postgresql) against it through a
# temporary odbcinst.ini / odbc.ini, and exports what the database tests read:
#   RWB_TEST_PG_URI    postgresql://rwb@127.0.0.1:PORT/rwb (password in PGPASSWORD, not the URI)
#   PGPASSWORD         the role's random password
#   RWB_TEST_ODBC      odbc:rwb_test (a DSN of the temporary odbc.ini)
#   ODBCSYSINI, ODBCINI
# rwb_stop_test_databases stops the server and removes the folder (test.sh traps it on exit).
# Without the server binaries nothing is exported and the database tests report SKIPPED.

rwb_pg_bin=${RWB_PG_BIN:-/usr/lib/postgresql/15/bin}
rwb_db_dir=""

rwb_as_db_owner() {
  # The server refuses to run as root: run it as the postgres user then.
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

rwb_stop_test_databases() {
  if [ -n "$rwb_db_dir" ] && [ -d "$rwb_db_dir" ]; then
    rwb_as_db_owner "$rwb_pg_bin/pg_ctl" -D "$rwb_db_dir/data" -m immediate -w stop \
      >/dev/null 2>&1 || true
    rm -rf "$rwb_db_dir"
  fi
  rwb_db_dir=""
}

rwb_start_test_databases() {
  if [ ! -x "$rwb_pg_bin/initdb" ]; then
    echo "test-databases: $rwb_pg_bin/initdb not found (install postgresql-15): database tests will be SKIPPED"
    return 0
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "test-databases: no 'postgres' user to run the server as: database tests will be SKIPPED"
    return 0
  fi
  rwb_db_dir=$(mktemp -d /tmp/rwb-pg.XXXXXX)
  chmod 755 "$rwb_db_dir"
  mkdir -p "$rwb_db_dir/data" "$rwb_db_dir/run"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$rwb_db_dir/data" "$rwb_db_dir/run"
  local password
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "$password" >"$rwb_db_dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$rwb_db_dir/pwfile"
  if ! rwb_as_db_owner "$rwb_pg_bin/initdb" -D "$rwb_db_dir/data" -U postgres -E UTF8 \
    --locale=C --auth-local=trust --auth-host=scram-sha-256 --pwfile="$rwb_db_dir/pwfile" \
    >"$rwb_db_dir/initdb.log" 2>&1; then
    cat "$rwb_db_dir/initdb.log"
    echo "test-databases: initdb failed"
    return 1
  fi
  rm -f "$rwb_db_dir/pwfile"
  local port="" try
  for try in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    # A port something already listens on is taken; try another.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if rwb_as_db_owner "$rwb_pg_bin/pg_ctl" -D "$rwb_db_dir/data" -w -t 60 \
      -l "$rwb_db_dir/run/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $rwb_db_dir/run -c fsync=off -c max_connections=60" \
      start >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    cat "$rwb_db_dir/run/server.log" 2>/dev/null || true
    echo "test-databases: the server did not start"
    return 1
  fi
  rwb_as_db_owner "$rwb_pg_bin/psql" -q -h "$rwb_db_dir/run" -p "$port" -U postgres \
    -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE ROLE rwb LOGIN CREATEROLE PASSWORD '$password';
CREATE DATABASE rwb OWNER rwb;
SQL
  cat >"$rwb_db_dir/odbcinst.ini" <<INI
[PostgreSQL Unicode]
Description=PostgreSQL ODBC driver (Unicode)
Driver=psqlodbcw.so
INI
  cat >"$rwb_db_dir/odbc.ini" <<INI
[rwb_test]
Driver=PostgreSQL Unicode
Servername=127.0.0.1
Port=$port
Database=rwb
Username=rwb
Password=$password
UseDeclareFetch=1
Fetch=10000
INI
  chmod 600 "$rwb_db_dir/odbc.ini"
  export RWB_TEST_PG_URI="postgresql://rwb@127.0.0.1:$port/rwb"
  export PGPASSWORD="$password"
  export RWB_TEST_ODBC="odbc:rwb_test"
  export ODBCSYSINI="$rwb_db_dir"
  export ODBCINI="$rwb_db_dir/odbc.ini"
  echo "test-databases: PostgreSQL 15 on 127.0.0.1:$port (data in $rwb_db_dir), ODBC DSN rwb_test"
}
