# Shell functions shared by bench/run, bench/ab-signups and bench/ab-signups-sqlite (sourced, not run). The caller
# sets: work (the run's temporary folder), pids (an array of processes to stop at exit), and for start_app: app_dll and
# repo; for wrk_signups: clients.

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
trees=()

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# install_missing PACKAGE...: installs the given Debian packages (none given: nothing to do).
install_missing() {
  [ $# -gt 0 ] || return 0
  echo "Installing $*…"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

free_port() {
  local port=$1
  while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

# start_pg [SETTING...]: a private PostgreSQL in $work/pg on a free loopback port, with default durability (fsync,
# synchronous_commit, full_page_writes all on: the figures are for real commits); sets PGBIN, pg_port, pg_started.
# BENCH_PG_SETTINGS adds server settings for the whole run (limits and app alike), e.g. "-c wal_init_zero=off".
start_pg() {
  PGBIN=$(pg_bin)
  pg_user=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: run it as the postgres user (created with the package, or here).
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    pg_user=postgres
    chown postgres "$work"
  fi
  pg_port=$(free_port 56432)
  run_pg "$PGBIN/initdb" -D "$work/pg" -U postgres -A trust >/dev/null
  run_pg "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=200 ${BENCH_PG_SETTINGS:-} $*" start >/dev/null
  pg_started=1
  chown "$(id -un)" "$work" 2>/dev/null || true
}
run_pg() { if [ "${pg_user:-$(id -un)}" = "$(id -un)" ]; then "$@"; else runuser -u "$pg_user" -- "$@"; fi; }
stop_pg() { [ -z "${pg_started:-}" ] || run_pg "$PGBIN/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; }

# start_app NAME PORT PROVIDER CONNECTION [SETTING...]: the app as it is shipped, with the limits that would throttle a
# benchmark off; sets app_pid.
start_app() {
  local name=$1 port=$2 provider=$3 connection=$4
  shift 4
  mkdir -p "$work/$name"
  # The settings given here come last: on the command line the last value of a key wins.
  (cd "$repo" && exec dotnet "$app_dll" --urls "http://127.0.0.1:$port" --DataPath "$work/$name" \
    --Database:Provider="$provider" --ConnectionStrings:Default="$connection" \
    --Signup:RateLimit:PerIpPerMinute=0 --Signup:RateLimit:PerAddressPerHour=0 \
    --Mail:Transport=outbox --Demo:Seed=true --Logging:LogLevel:Default=Warning "$@") >"$work/$name.log" 2>&1 &
  app_pid=$!
  pids+=("$app_pid")
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "The app ($name) did not start:" >&2
  tail -n 30 "$work/$name.log" >&2
  exit 1
}
stop_app() { kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; }

# start_sink: Postfix's smtp-sink on a free loopback port, accepting every message and keeping none; sets sink_port,
# sink_pid and sink_mail (the app's settings for sending into it). Once per run: a second call keeps the first sink.
start_sink() {
  [ -z "${sink_pid:-}" ] || return 0
  local as=()
  sink_port=$(free_port 2525)
  [ "$(id -u)" -eq 0 ] && as=(-u nobody) # smtp-sink refuses to run as root
  /usr/sbin/smtp-sink "${as[@]}" "127.0.0.1:$sink_port" 1000 &
  sink_pid=$!
  pids+=("$sink_pid")
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null && break; sleep 0.1; done
  sink_mail=(--Mail:Transport=smtp --Mail:Smtp:Host=127.0.0.1 --Mail:Smtp:Port="$sink_port")
}

# CPU the app process used (user + system, ms): with the operation count it shows whether the app is CPU-bound.
tick=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$tick" '{printf "%d", ($14 + $15) * 1000 / t}' "/proc/$1/stat"; }
# pg_ms: CPU time of the benchmark's PostgreSQL: the postmaster's own, its ended children's (fields 16 and 17: the
# load generators' backends end with their run) and its live processes'.
pg_ms() {
  local main
  main=$(head -n 1 "$work/pg/postmaster.pid")
  {
    awk -v t="$tick" '{printf "%d\n", ($14 + $15 + $16 + $17) * 1000 / t}' "/proc/$main/stat"
    # A child may end between pgrep and the read (a backend, an autovacuum worker): its time then shows with the ended ones.
    # "|| true": under set -e and pipefail, a failed last read made the whole script stop without a word.
    for p in $(pgrep -P "$main"); do { cpu_ms "$p" && echo; } 2>/dev/null || true; done
  } | awk '{s += $1} END {printf "%d", s}'
}
# busy_ms: CPU time of the whole machine, every process and the kernel (all but idle and I/O wait), in ms.
busy_ms() { awk -v t="$tick" '$1 == "cpu" {printf "%d", ($2 + $3 + $4 + $7 + $8 + $9) * 1000 / t}' /proc/stat; }

# Sign-ups are driven by wrk (bench/signups.lua: every request a new address, every answer must be 200 "success"),
# as the article page is. The readers' browsers are not on the server, so their stand-in should take as little of the
# two cores as it can: the C# load generator made about 7.7 context switches per sign-up against the app's 2.1 (a
# measurement on 2026-11-27) and took a fifth of the machine.
# wrk_signups NAME URL SECONDS: prints wrk's RESULT line, in the C# generator's format.
wrk_signups() { wrk -t2 -c"$clients" -d"$3"s -s "$bench_dir/signups.lua" "$2" -- "$1" "$1-$$-$RANDOM$RANDOM" | grep '^RESULT'; }

# build_revisions REV...: builds the app of each git revision ("." is the working tree as it is) in a temporary
# worktree under $work; sets dirs, the source folder of each revision in order.
build_revisions() {
  local rev dir top
  top=$(dirname "$bench_dir")
  dirs=()
  for rev in "$@"; do
    dir=$top
    if [ "$rev" != . ]; then
      dir="$work/tree-${#dirs[@]}"
      git -C "$top" worktree add -q --detach "$dir" "$rev"
      trees+=("$dir")
    fi
    echo "Building $rev (Release)…"
    dotnet build "$dir/src/Broadsheet" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
    dirs+=("$dir")
  done
}

# stop_all: stops what the run started (processes, PostgreSQL, worktrees) and removes its folder; the scripts' EXIT trap.
stop_all() {
  local pid tree
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_pg
  for tree in "${trees[@]}"; do git -C "$(dirname "$bench_dir")" worktree remove --force "$tree" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
