#!/usr/bin/env bash
# latchkey's benchmarks (issue 7): `bash bench/run.sh` or `npm run bench`. Not run by CI (it takes ~6 minutes).
#   1. installs what the references need: wrk, nginx, zip (apt, if missing), and bench/peer's own packages
#      (sharp, better-auth: `npm ci --prefix bench/peer`, never latchkey's dependencies)
#   2. builds dist/latchkey (bun run build)
#   3. runs bench/run.ts: every scenario against its reference, on 127.0.0.1, each for a bounded time;
#      writes the table into bench/README.md and the raw figures into bench/.work/results.json
# `bash bench/run.sh --backend postgres-s3` runs bench/backends.ts instead: the same small requests, logins, download
# and upload on latchkey with DATABASE_URL (a local PostgreSQL from Debian's binaries, as the tests start it) and
# STORAGE_URL (s3rver) beside latchkey on SQLite, with each route's round trips (issue 29, item 6).
# `bash bench/run.sh --scale [--reuse-seed]`: the same routes on a database of a million accounts (bench/scale.ts).
# BENCH_SECONDS (default 10) and BENCH_WARMUP_SECONDS (default 3) set each scenario's measured and warm-up time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BACKEND=sqlite
if [[ ${1-} == --backend ]]; then
  BACKEND=${2-}
  [[ $BACKEND == sqlite || $BACKEND == postgres-s3 ]] || { echo "usage: bash bench/run.sh [--backend sqlite|postgres-s3]" >&2; exit 2; }
fi
ROOT=$PWD
export PATH=$ROOT/node_modules/.bin:$PATH

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null && return 0
  local sudo=""
  [[ $(id -u) == 0 ]] || sudo="sudo -n"
  echo "installing $2 with apt-get"
  if [[ -z ${APT_UPDATED-} ]]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need wrk wrk
need curl curl
if [[ $BACKEND == sqlite ]]; then
  need nginx nginx-light
  need zip zip
fi

if ! command -v bun >/dev/null; then
  echo "bun is missing: run 'npm ci' in $ROOT first" >&2
  exit 1
fi

# The references' packages live in bench/peer/node_modules only (its own lock file). --backend postgres-s3 needs
# none of them: its reference is latchkey on SQLite (PostgreSQL and s3rver come as the tests get them).
if [[ $BACKEND == sqlite ]] && [[ ! -d bench/peer/node_modules/better-auth || ! -d bench/peer/node_modules/sharp || bench/peer/package-lock.json -nt bench/peer/node_modules ]]; then
  npm ci --prefix bench/peer --no-audit --no-fund </dev/null
fi

bun run build
mkdir -p bench/.work
if [[ $BACKEND == postgres-s3 ]]; then
  BENCH_COMMAND=${BENCH_COMMAND:-bash bench/run.sh --backend postgres-s3} exec bun bench/backends.ts
fi
# --scale: latchkey on a seeded database of SCALE_ACCOUNTS (default 1,000,000) accounts against an empty one
# (bench/scale.ts, issue 29); it needs wrk and curl only.
# --scale --reuse-seed: the seed is made once into bench/.work/scale-seed-<accounts> and copied for each run.
if [[ ${1-} == --scale ]]; then
  [[ ${2-} == --reuse-seed ]] && export SCALE_SEED_REUSE=1
  BENCH_COMMAND=${BENCH_COMMAND:-bash bench/run.sh $*} exec bun bench/scale.ts
fi
BENCH_COMMAND=${BENCH_COMMAND:-bash bench/run.sh} exec bun bench/run.ts
