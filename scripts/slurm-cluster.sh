#!/usr/bin/env bash
# A one-node Slurm cluster on this Debian machine, for the scale-out tests (test/workflow/slurm.test.ts):
#   bash scripts/slurm-cluster.sh start    # idempotent: a cluster this script started is reused
#   bash scripts/slurm-cluster.sh stop     # stops the daemons it started, keeps its configuration
#   bash scripts/slurm-cluster.sh status   # exit 0 when the cluster answers
# Needs root and Debian's slurm-wlm, slurmdbd, munge and mariadb-server (scripts/setup.sh installs
# them as root). Everything runs as root except munged (as munge) and MariaDB (as mysql, a private
# instance on 127.0.0.1:$PORT with its data under $STATE, so a system MariaDB is never touched).
# Accounting (slurmdbd) is on because Snakemake and our status script read job states with sacct.
# The node has this machine's CPUs and memory, partition `gpu`, and two pretend GPUs (gres.conf names
# two empty files as their devices, since slurmd drops a GPU without one): jobs can ask for GPUs and
# Slurm accounts for them, but there is no device behind them, so nothing may run on them.
# Where a Slurm this script did not configure is running or configured, it refuses and changes nothing.
set -euo pipefail

MARKER='# written by virnucpro scripts/slurm-cluster.sh'
# (both settable for the script's own refusal test; Slurm's commands read /etc/slurm)
CONF_DIR=${VIRNUCPRO_SLURM_CONF_DIR:-/etc/slurm}
STATE=${VIRNUCPRO_SLURM_STATE:-/var/lib/virnucpro-slurm}
PORT=${VIRNUCPRO_SLURM_DB_PORT:-3307}
CLUSTER=virnucpro
ACCOUNT=virnucpro
DB_PASSWORD=virnucpro-test
NODE=$(hostname -s)

die() {
  echo "slurm-cluster: $*" >&2
  exit 1
}
running() { pgrep -x "$1" >/dev/null; }

ours() { [ -f "$CONF_DIR/slurm.conf" ] && [ "$(head -n 1 "$CONF_DIR/slurm.conf")" = "$MARKER" ]; }

# Before anything changes: a foreign configuration or daemon means this machine's Slurm is not ours.
check_not_foreign() {
  local file daemon
  for file in slurm.conf slurmdbd.conf gres.conf cgroup.conf; do
    if [ -e "$CONF_DIR/$file" ] && [ "$(head -n 1 "$CONF_DIR/$file")" != "$MARKER" ]; then
      die "refusing: $CONF_DIR/$file exists and was not written by this script; nothing was changed"
    fi
  done
  if ! ours; then
    for daemon in slurmctld slurmd slurmdbd; do
      if running "$daemon"; then
        die "refusing: $daemon is running with a configuration this script did not write; nothing was changed"
      fi
    done
  fi
}

# A daemon keeps none of the caller's file descriptors: one that held a pipe of the caller (a test's
# execFileSync, a CI log) open would make the caller wait for it forever. Its start-up output goes to
# $STATE/log/NAME-start.log. `&` runs it in the background for the daemons that stay in the foreground.
spawn_daemon() {
  local name=$1 background=$2
  shift 2
  local log="$STATE/log/$name-start.log"
  if [ "$background" = '&' ]; then
    (close_inherited_fds && exec "$@") </dev/null >>"$log" 2>&1 &
    disown
  else
    (close_inherited_fds && exec "$@") </dev/null >>"$log" 2>&1
  fi
}

close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

wait_for() {
  local what=$1
  shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what did not come up (logs in $STATE)"
}

write_config() {
  local cpus memory
  cpus=$(nproc)
  # what slurmd will see, less some room for the daemons
  memory=$(($(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024))
  mkdir -p "$CONF_DIR" "$STATE"/{ctld,slurmd,log}
  cat >"$CONF_DIR/slurm.conf" <<CONF
$MARKER
ClusterName=$CLUSTER
SlurmctldHost=$NODE
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
GresTypes=gpu
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MinJobAge=30
KillWait=5
NodeName=$NODE CPUs=$cpus RealMemory=$memory Gres=gpu:2 State=UNKNOWN
PartitionName=gpu Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
  cat >"$CONF_DIR/gres.conf" <<CONF
$MARKER
NodeName=$NODE Name=gpu File=$STATE/fake-gpu[0-1]
CONF
  touch "$STATE"/fake-gpu{0,1}
  cat >"$CONF_DIR/slurmdbd.conf" <<CONF
$MARKER
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$PORT
StorageUser=slurm
StoragePass=$DB_PASSWORD
StorageLoc=slurm_acct_db
CONF
  chmod 600 "$CONF_DIR/slurmdbd.conf"
}

start_munge() {
  running munged && return 0
  [ -f /etc/munge/munge.key ] || mungekey --create --keyfile /etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge
  chown munge:munge /run/munge
  spawn_daemon munged - runuser -u munge -- /usr/sbin/munged
  wait_for munged munge -n
}

# MariaDB's files (data, socket, pid, log) in one folder of its own user
DB_DIR=$STATE/mariadb
db() { mariadb --protocol=socket --socket="$DB_DIR/mysqld.sock" -uroot "$@"; }

start_mariadb() {
  if [ ! -d "$DB_DIR/data/mysql" ]; then
    mkdir -p "$DB_DIR/data"
    chown -R mysql:mysql "$DB_DIR"
    mariadb-install-db --user=mysql --datadir="$DB_DIR/data" --auth-root-authentication-method=socket \
      >"$STATE/log/mariadb-install.log" 2>&1
  fi
  if ! db -e 'select 1' >/dev/null 2>&1; then
    spawn_daemon mariadb '&' runuser -u mysql -- /usr/sbin/mariadbd --no-defaults --datadir="$DB_DIR/data" \
      --socket="$DB_DIR/mysqld.sock" --pid-file="$DB_DIR/mysqld.pid" --bind-address=127.0.0.1 \
      --port="$PORT" --innodb-buffer-pool-size=64M --log-error="$DB_DIR/mariadb.log"
    wait_for MariaDB db -e 'select 1'
  fi
  db <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL
}

start_slurm() {
  running slurmdbd || spawn_daemon slurmdbd - slurmdbd
  wait_for slurmdbd sacctmgr -n list cluster
  if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
  fi
  if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" >/dev/null
  fi
  local user
  user=$(id -un)
  if ! sacctmgr -n -P list user format=user | grep -qx "$user"; then
    sacctmgr -i add user "$user" account="$ACCOUNT" defaultaccount="$ACCOUNT" >/dev/null
  fi
  running slurmctld || spawn_daemon slurmctld - slurmctld
  wait_for slurmctld scontrol ping
  running slurmd || spawn_daemon slurmd - slurmd
  # a node drained by an earlier start of this cluster (a killed daemon, a changed machine) comes back
  wait_for 'the node' sh -c "sinfo -h -N -o %T | grep -q ."
  if sinfo -h -N -o %T | grep -qE 'drain|down|inval'; then
    scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
  fi
  wait_for 'the node' sh -c "sinfo -h -N -o %T | grep -qE '^(idle|mixed|allocated)'"
}

start() {
  [ "$(id -u)" = 0 ] || die "needs root (it writes $CONF_DIR and starts daemons)"
  for tool in slurmctld slurmd slurmdbd munged mariadbd; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
      die "$tool is missing: apt-get install slurm-wlm slurmdbd munge mariadb-server"
  done
  check_not_foreign
  if ours && running slurmctld && running slurmd && running slurmdbd && scontrol ping >/dev/null 2>&1; then
    echo "slurm-cluster: reusing the running cluster $CLUSTER"
    return 0
  fi
  ours || write_config
  mkdir -p "$STATE"/{ctld,slurmd,log}
  start_munge
  start_mariadb
  start_slurm
  echo "slurm-cluster: cluster $CLUSTER up: node $NODE, partition gpu, account $ACCOUNT (logs in $STATE/log)"
}

stop_pid() {
  local file=$1
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
}

stop() {
  ours || die "refusing: $CONF_DIR/slurm.conf was not written by this script"
  stop_pid "$STATE/slurmd.pid"
  stop_pid "$STATE/slurmctld.pid"
  stop_pid "$STATE/slurmdbd.pid"
  stop_pid "$DB_DIR/mysqld.pid"
  echo "slurm-cluster: stopped (munged left running; configuration kept in $CONF_DIR)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ours && scontrol ping ;;
  *) die "usage: $0 start|stop|status" ;;
esac
