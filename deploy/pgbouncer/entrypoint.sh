#!/bin/sh
# The password comes from the environment (POSTGRES_PASSWORD): written to a file only this
# process reads, never into the image.
set -eu
umask 077
printf '"%s" "%s"\n' "${POSTGRES_USER:-shop}" "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" \
    > /tmp/userlist.txt
exec /usr/sbin/pgbouncer /etc/pgbouncer/pgbouncer.ini
