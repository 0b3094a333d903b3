#!/usr/bin/env bash
# Local services for meshwatch: a real single-node Apache Kafka broker (KRaft, broker+controller
# in one JVM, jars from Maven Central) and Redis.
#
#   scripts/stack.sh up       start what is not already answering (idempotent); fetch the broker jars if missing
#   scripts/stack.sh down     stop the Kafka broker and any Redis this script started
#   scripts/stack.sh resume   start the Kafka broker again on the data it had when `down` stopped it
#   scripts/stack.sh status   say what answers
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), REDIS_URL (redis://127.0.0.1:6379),
# MESHWATCH_STACK_DIR (state folder, default .cache/stack under the project).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache"
lib="$cache/kafka/lib"
state="${MESHWATCH_STACK_DIR:-$cache/stack}"
kafka_port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
redis_hostport="${redis_url#redis://}"
redis_hostport="${redis_hostport%%/*}"
redis_hostport="${redis_hostport##*@}"
redis_host="${redis_hostport%%:*}"
redis_port="${redis_hostport##*:}"
[ "$redis_port" = "$redis_hostport" ] && redis_port=6379

log() { printf '[stack] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

redis_up() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null)" = "PONG" ]
  else
    port_open "$redis_host" "$redis_port"
  fi
}

ensure_redis() {
  if redis_up; then log "redis answers on $redis_host:$redis_port"; return; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    log "installing redis-server (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p "$state/redis"
  redis-server --daemonize yes --bind "$redis_host" --port "$redis_port" --save "" --appendonly no \
    --dir "$state/redis" --pidfile "$state/redis/redis.pid" --logfile "$state/redis/redis.log"
  for _ in $(seq 1 50); do redis_up && { log "redis started on $redis_host:$redis_port"; return; }; sleep 0.1; done
  log "redis did not start; see $state/redis/redis.log"; exit 1
}

ensure_kafka_jars() {
  if [ -f "$lib/.complete" ]; then return; fi
  command -v mvn >/dev/null 2>&1 || { log "mvn is required to fetch the Kafka broker jars"; exit 1; }
  command -v java >/dev/null 2>&1 || { log "java (17+) is required to run the Kafka broker"; exit 1; }
  log "fetching the Kafka broker from Maven Central (scripts/kafka/pom.xml)"
  rm -rf "$lib"
  mvn -q -B -f "$root/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$lib" -DincludeScope=runtime >&2
  touch "$lib/.complete"
}

kafka_pid() { [ -f "$state/kafka/kafka.pid" ] && cat "$state/kafka/kafka.pid"; }

kafka_running() { local p; p="$(kafka_pid)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

ensure_kafka() {
  if port_open 127.0.0.1 "$kafka_port"; then log "kafka answers on 127.0.0.1:$kafka_port"; return; fi
  ensure_kafka_jars
  local dir="$state/kafka" started
  started=$(date +%s%N)
  rm -rf "$dir"; mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
PROPS
  local cid
  cid=$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
  java -cp "$lib/*" kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" >"$dir/format.log" 2>&1
  launch_kafka "$started"
}

# Starts the broker of the state folder on its data as it is, and waits until it serves.
launch_kafka() {
  local dir="$state/kafka" started="$1"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true -cp "$lib/*" kafka.Kafka \
    "$dir/server.properties" >"$dir/kafka.log" 2>&1 &
  echo $! >"$dir/kafka.pid"
  for _ in $(seq 1 600); do
    if grep -q "Kafka Server started" "$dir/kafka.log" 2>/dev/null || grep -q "\[KafkaRaftServer nodeId=1\] Kafka Server started" "$dir/kafka.log" 2>/dev/null; then
      log "kafka $(ls "$lib" | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p') started on 127.0.0.1:$kafka_port in $(( ($(date +%s%N) - started) / 1000000 )) ms"
      return
    fi
    kafka_running || { log "kafka exited; last lines of $dir/kafka.log:"; tail -n 30 "$dir/kafka.log" >&2; exit 1; }
    sleep 0.1
  done
  log "kafka did not start within 60 s; see $dir/kafka.log"; exit 1
}

case "${1:-up}" in
  # The jars also when a broker already answers: tests start brokers of their own (secure, outage).
  up) ensure_redis; ensure_kafka_jars; ensure_kafka ;;
  resume)
    if port_open 127.0.0.1 "$kafka_port"; then log "kafka answers on 127.0.0.1:$kafka_port"; exit 0; fi
    [ -f "$state/kafka/server.properties" ] || { log "no broker in $state/kafka to resume; use up"; exit 1; }
    launch_kafka "$(date +%s%N)"
    ;;
  down)
    if kafka_running; then kill "$(kafka_pid)"; for _ in $(seq 1 100); do kafka_running || break; sleep 0.1; done; log "kafka stopped"; fi
    if [ -f "$state/redis/redis.pid" ]; then kill "$(cat "$state/redis/redis.pid")" 2>/dev/null || true; rm -f "$state/redis/redis.pid"; log "redis stopped"; fi
    ;;
  status)
    redis_up && echo "redis: up ($redis_host:$redis_port)" || echo "redis: down"
    port_open 127.0.0.1 "$kafka_port" && echo "kafka: up (127.0.0.1:$kafka_port)" || echo "kafka: down"
    ;;
  *) echo "usage: $0 up|down|resume|status" >&2; exit 2 ;;
esac
