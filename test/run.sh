#!/usr/bin/env bash
# `npm test`: the whole black-box suite twice, as latchkey runs by default (SQLite + files on local disk) and as
# several instances run it (PostgreSQL + an S3 bucket; test/support/backend.ts). The tests start the servers they
# need (PostgreSQL from Debian's package, installed on first use when missing; s3rver from npm) and stop them.
# Extra arguments go to both runs (e.g. a file filter). Exits non-zero if either run failed.
#
# The browser tests (test/*-browser.test.ts: chromium, see test/support/browser.ts) run in the first run only: they
# test what the browser and latchkey's HTTP edge do (WebAuthn, CORS, the page), which the backend does not change,
# and each starts a browser. With a file filter both runs run what it names (an ignored file left alone would make
# the second run find no tests, which bun counts as a failure).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=$PWD/node_modules/.bin:$PATH

echo "=== tests on SQLite + local disk ==="
bun test --timeout 30000 "$@"
default_rc=$?

echo "=== tests on PostgreSQL + S3 (LATCHKEY_TEST_BACKEND=postgres-s3) ==="
once_only=()
if (($# == 0)); then once_only=(--path-ignore-patterns='test/*-browser.test.ts'); fi
LATCHKEY_TEST_BACKEND=postgres-s3 bun test --timeout 30000 "${once_only[@]}" "$@"
scaled_rc=$?

exit $((default_rc != 0 || scaled_rc != 0))
