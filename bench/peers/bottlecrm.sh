#!/usr/bin/env bash
# The peer for bench/peer.py: MicroPyramid's Django CRM ("BottleCRM", PyPI django-crm 1.35).
#
#   bench/peers/bottlecrm.sh setup            # virtualenv, database, migrations, an API token
#   bench/peers/bottlecrm.sh serve PORT N     # gunicorn with N sync workers on 127.0.0.1:PORT
#   bench/peers/bottlecrm.sh stop             # stop that gunicorn
#   bench/peers/bottlecrm.sh reset            # empty database again (drop, create, migrate, token)
#   bench/peers/bottlecrm.sh drop             # drop its database (the migrated template stays)
#
# It installs into bench/.peers/bottlecrm (gitignored) with Python 3.12 (pyenv's 3.12.1 where
# there is one), and keeps its data in the PostgreSQL database bench_bottlecrm (BOTTLECRM_DB to
# name another) owned by the non-superuser role bottlecrm, so the peer's row-level security
# really applies. The token is written to bench/.peers/bottlecrm/token. Any failure writes the reason to
# bench/.peers/bottlecrm/unavailable and exits non-zero: the benchmark then says
# "peer: not measured (reason)".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEER=$ROOT/bench/.peers/bottlecrm
VENV=$PEER/venv
VERSION=${BOTTLECRM_VERSION:-1.35}
PGHOST=${BENCH_PG_HOST:-127.0.0.1}
PGPORT=${BENCH_PG_PORT:-5432}
DB=${BOTTLECRM_DB:-bench_bottlecrm}
# The migrated template every reset copies (whatever DB is), and its name while it is made.
MIGRATED=bench_bottlecrm_migrated
MIGRATING=bench_bottlecrm_migrating
ROLE=bottlecrm
mkdir -p "$PEER"

fail() {
	echo "$*" >"$PEER/unavailable"
	echo "bottlecrm: $*" >&2
	exit 1
}

peer_env() {
	export DJANGO_SETTINGS_MODULE=crm.settings ENV_TYPE=dev DEBUG=False
	export SECRET_KEY=bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz
	export DBNAME=$DB DBUSER=$ROLE DBPASSWORD=bench DBHOST=$PGHOST DBPORT=$PGPORT
	export ALLOWED_HOSTS=127.0.0.1,localhost
	# Its per-user CSV import throttle (30/minute) would stop a 100,000-row import in 5,000-row files.
	export IMPORT_THROTTLE=100000/minute
	# No Redis here: a task queued by accident must fail fast, not hang on the broker.
	export CELERY_BROKER_URL=memory:// CELERY_RESULT_BACKEND=cache+memory://
}

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres "$@"; }

python312() {
	if PYENV_VERSION=3.12.1 python3.12 -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
		echo "env PYENV_VERSION=3.12.1 python3.12"
	elif python3.12 -c 'import sys' 2>/dev/null; then
		echo python3.12
	elif python3 -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
		echo python3
	fi
}

install() {
	rm -f "$PEER/unavailable"
	if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import crm, gunicorn' 2>/dev/null; then
		local py
		py=$(python312)
		[ -n "$py" ] || fail "no Python 3.12 on this machine (django-crm $VERSION needs Python >= 3.12)"
		$py -m venv "$VENV" || fail "could not make a Python 3.12 virtualenv"
		"$VENV/bin/pip" install --quiet --disable-pip-version-check "django-crm==$VERSION" gunicorn \
			>"$PEER/pip.log" 2>&1 || fail "pip install django-crm==$VERSION failed (see $PEER/pip.log)"
	fi
	command -v psql >/dev/null || fail "psql is not installed"
	psql_admin -c 'SELECT 1' >/dev/null 2>&1 || fail "PostgreSQL is not reachable on $PGHOST:$PGPORT as postgres"
}

database() {
	psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
	psql_admin -tc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'" | grep -q 1 ||
		psql_admin -c "CREATE ROLE $ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD 'bench'" >/dev/null
	peer_env
	# Its migrations take minutes: they run once into $MIGRATED, and each reset copies that.
	if ! psql_admin -tc "SELECT 1 FROM pg_database WHERE datname = '$MIGRATED'" | grep -q 1; then
		psql_admin -c "CREATE DATABASE $MIGRATING OWNER $ROLE" >/dev/null
		(cd "$PEER" && DBNAME=$MIGRATING "$VENV/bin/python" -m django migrate --noinput -v 0) \
			>"$PEER/migrate.log" 2>&1 || {
			psql_admin -c "DROP DATABASE IF EXISTS $MIGRATING WITH (FORCE)" >/dev/null
			fail "its migrations failed (see $PEER/migrate.log)"
		}
		psql_admin -c "ALTER DATABASE $MIGRATING RENAME TO $MIGRATED" >/dev/null
	fi
	psql_admin -c "CREATE DATABASE $DB OWNER $ROLE TEMPLATE $MIGRATED" >/dev/null
	# An organisation, an admin user with a profile in it, and a personal access token.
	(cd "$PEER" && "$VENV/bin/python" -m django shell -c "
from django.db import connection
from common.models import Org, PersonalAccessToken, Profile, User
org = Org.objects.create(name='Bench')
connection.cursor().execute(\"SELECT set_config('app.current_org', %s, false)\", [str(org.id)])
user = User.objects.create_user(email='bench@example.com', password='bench-password-1')
profile = Profile.objects.create(user=user, org=org, role='ADMIN', is_active=True)
raw, _pat = PersonalAccessToken.generate(profile, 'bench')
open('token', 'w').write(raw)
") >"$PEER/token.log" 2>&1 || fail "could not make an org, a user and an API token in its shell (see $PEER/token.log)"
}

case "${1:-setup}" in
setup)
	install
	database
	echo "bottlecrm: django-crm $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("django-crm"))') ready, database $DB (role $ROLE)"
	;;
reset)
	database
	;;
drop)
	psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
	;;
serve)
	PORT=${2:-8790}
	WORKERS=${3:-2}
	peer_env
	cd "$PEER"
	"$VENV/bin/gunicorn" crm.wsgi:application --workers "$WORKERS" --bind "127.0.0.1:$PORT" \
		--timeout 900 --pid "$PEER/gunicorn.pid" --daemon --error-logfile "$PEER/gunicorn.log" --log-level warning ||
		fail "gunicorn did not start (see $PEER/gunicorn.log)"
	;;
stop)
	if [ -f "$PEER/gunicorn.pid" ]; then
		kill "$(cat "$PEER/gunicorn.pid")" 2>/dev/null || true
		rm -f "$PEER/gunicorn.pid"
	fi
	;;
*)
	echo "usage: $0 setup|reset|serve PORT WORKERS|stop|drop" >&2
	exit 2
	;;
esac
