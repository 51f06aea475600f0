#!/usr/bin/env bash
# Usage: deploy/cluster.sh REPLICAS PORT
#
# Serves the app from REPLICAS Streamlit processes on free loopback ports, with Debian's nginx in
# front on 127.0.0.1:PORT. One Streamlit process is one Python interpreter, so past a core or two
# more visitors need more processes; a session lives in the memory of the process that opened it,
# so every request of one browser must reach the same replica (sticky routing).
#
# Runs in the foreground while nginx runs; Ctrl-C or SIGTERM stops nginx and every replica it
# started (one waiting to restart, or just restarted, too). A replica that dies is restarted on the
# same port, after 1 s, then 2, 4, ... up to 30 s if it keeps dying (back to 1 s once it has stayed
# up for 60 s); meanwhile the others serve its browsers. Each death and restart is logged on stderr,
# and the restarted replica is announced again as "replica K pid P port Q"; its output is appended
# to the same log. The script exits when nginx does. Needs bash, python3 with the app's requirements
# (or PYTHON=/path/to/python) and nginx (`apt-get install nginx`; the nginx service need not run:
# this starts its own nginx as the current user, with its configuration, pid file, logs and
# temporary files in a fresh temporary directory).
#
# REPLICA_PORTS="8601 8602" puts the replicas on those loopback ports (exactly REPLICAS distinct
# numbers 1..65535, none of them PORT) instead of free ones, e.g. for a firewall rule or a monitor.
#
# The charts need nothing prepared at start: the chart component's script, the watcher of the parts
# near the screen, plotly.js and the page's CSS are files of the repository, static/live_chart.js,
# static/near.js, static/plotly.min.js and static/page.css,
# served by Streamlit's static file serving. The script checks that they are there before it starts
# a replica, and stops if not.
#
# Every response says X-Content-Type-Options: nosniff and Content-Security-Policy: frame-ancestors
# FRAME_ANCESTORS, 'self' unless set: only pages of this site may embed the app in a frame. To let a
# course site embed it, name that site, e.g. FRAME_ANCESTORS="'self' https://course.example.org".
set -euo pipefail

usage="usage: $0 REPLICAS PORT   (REPLICAS 1..32, PORT 1..65535)"
[[ $# -eq 2 && $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 64; }
replicas=$1
port=$2
((replicas >= 1 && replicas <= 32 && port >= 1 && port <= 65535)) || { echo "$usage" >&2; exit 64; }
frame_ancestors=${FRAME_ANCESTORS:-"'self'"}
if [[ ! $frame_ancestors =~ ^[A-Za-z0-9\ \'\*:/._-]+$ ]]; then
  echo "FRAME_ANCESTORS must be CSP sources such as 'self' https://course.example.org" >&2
  exit 64
fi
ports=()
if [[ -n ${REPLICA_PORTS:-} ]]; then
  ports_usage="REPLICA_PORTS must be $replicas distinct port numbers 1..65535 other than $port,"
  ports_usage+=" separated by spaces, e.g. REPLICA_PORTS=\"8601 8602\""
  [[ $REPLICA_PORTS =~ ^[\ 0-9]+$ ]] || { echo "$ports_usage" >&2; exit 64; }
  read -r -a given <<<"$REPLICA_PORTS"
  declare -A seen=(["$port"]=1) # nginx's own port is taken too
  for p in "${given[@]}"; do
    [[ $p =~ ^[0-9]{1,5}$ ]] && ((10#$p >= 1 && 10#$p <= 65535)) || { echo "$ports_usage" >&2; exit 64; }
    p=$((10#$p)) # 08601 is 8601, not an octal mistake
    [[ -z ${seen[$p]:-} ]] || { echo "$ports_usage" >&2; exit 64; }
    seen[$p]=1
    ports+=("$p")
  done
  ((${#ports[@]} == replicas)) || { echo "$ports_usage" >&2; exit 64; }
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for asset in static/live_chart.js static/near.js static/plotly.min.js static/page.css; do # see above
  if [[ ! -s $root/$asset ]]; then
    echo "$root/$asset is missing or empty: the charts load it from static/, where it is committed" \
      "with the app (restore it from the repository)" >&2
    exit 66
  fi
done
python="${PYTHON:-python3}"
nginx="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
if [[ ! -x $nginx ]]; then
  echo "nginx not found: install it with 'sudo apt-get install nginx' (or set NGINX=/path/to/nginx)" >&2
  exit 69
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/attention-cluster.XXXXXX")"
chmod 755 "$workdir" # nginx workers run as an unprivileged user when the master is root

stop() { # every process this script started and has not reaped: replicas, back-off timers, nginx
  trap - EXIT INT TERM
  local pid pids deadline=$((SECONDS + 15))
  pids=$(jobs -p) # a child started a moment before the signal is here even if no variable names it yet
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

free_ports() { # N -> N distinct loopback ports that were free a moment ago
  "$python" -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

healthy() { # URL -> success when URL/_stcore/health answers "ok"
  "$python" -c '
import sys, urllib.request
try:
    ok = urllib.request.urlopen(sys.argv[1] + "/_stcore/health", timeout=2).read() == b"ok"
except OSError:
    ok = False
sys.exit(0 if ok else 1)' "$1"
}

wait_healthy() { # URL PID NAME -> waits up to 90 s; fails if the process exits first
  local deadline=$((SECONDS + 90))
  until healthy "$1"; do
    if ! kill -0 "$2" 2>/dev/null || ((SECONDS >= deadline)); then
      echo "$3 did not start; its log:" >&2
      tail -n 40 "$workdir/$3.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

# glibc raises its mmap threshold after large frees, so later large arrays come from the heap and
# a replica's memory stays at its peak; a fixed threshold hands every freed array back to the system.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-65536}"

declare -A role=()  # pid of a running child -> "replica I", "timer I" (replica I's back-off) or "nginx"
replica_pids=()     # replica I's current process (I counts from 0; logs and messages count from 1)
started=()          # SECONDS when replica I was last started
delay=()            # seconds replica I waits before its next restart

start_replica() { # I -> replica I started on its port, its output appended to its log, announced
  local i=$1
  (cd "$root" && exec "$python" -m streamlit run app.py --server.headless true \
    --server.address 127.0.0.1 --server.port "${ports[i]}" --server.fileWatcherType none \
    --browser.gatherUsageStats false) >>"$workdir/replica$((i + 1)).log" 2>&1 &
  replica_pids[i]=$!
  role[$!]="replica $i"
  started[i]=$SECONDS
  echo "replica $((i + 1)) pid $! port ${ports[i]}"
}

replica_exited() { # I STATUS -> the death logged, and a timer started for the restart
  local i=$1 status=$2
  if ((SECONDS - started[i] >= 60)); then delay[i]=1; fi # it had stayed up: a fresh back-off
  echo "replica $((i + 1)) (pid ${replica_pids[i]}) exited with status $status;" \
    "restarting in ${delay[i]} s" >&2
  replica_pids[i]=""
  sleep "${delay[i]}" &
  role[$!]="timer $i"
  delay[i]=$((delay[i] * 2 < 30 ? delay[i] * 2 : 30))
}

restart_replica() { # I -> replica I started again on the same port, after its back-off
  local i=$1
  echo "--- restarted $(date -u +%FT%TZ) ---" >>"$workdir/replica$((i + 1)).log"
  start_replica "$i"
  echo "replica $((i + 1)) restarted as pid ${replica_pids[i]} on port ${ports[i]}" >&2
}

if ((${#ports[@]} == 0)); then read -r -a ports <<<"$(free_ports "$replicas")"; fi
for i in "${!ports[@]}"; do
  delay[i]=1
  start_replica "$i"
done
for i in "${!ports[@]}"; do
  wait_healthy "http://127.0.0.1:${ports[i]}" "${replica_pids[i]}" "replica$((i + 1))"
done

# Sticky routing with stock nginx (no nginx-plus `sticky`): the first response sets a random route
# cookie ($request_id), and every later request of that browser is hashed on it to the same replica,
# so a session's websocket, its reconnects and its media requests land where the session lives.
# `ip_hash` or `hash $remote_addr` would also stick, but would send a whole classroom behind one
# NAT address (or every virtual user of a load test on 127.0.0.1) to one replica; the cookie spreads
# browsers while keeping each one in place. `consistent` moves only a dead replica's browsers.
servers=""
for p in "${ports[@]}"; do servers+="        server 127.0.0.1:$p max_fails=1 fail_timeout=10s;"$'\n'; done
cat >"$workdir/unavailable.html" <<'HTML'
<!doctype html><meta charset="utf-8"><title>Attention, step by step: restarting</title>
<body style="font-family:sans-serif;max-width:36em;margin:4em auto;line-height:1.5">
<h1>The app is restarting</h1>
<p>No server is answering right now. Reload this page in a minute: everything you had set is in
the link, so the page comes back as you left it.</p>
HTML
cat >"$workdir/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $workdir/nginx.pid;
error_log $workdir/nginx-error.log warn;
events { worker_connections 1024; }  # two per websocket: one to the browser, one to a replica
http {
    client_body_temp_path $workdir/client_body;
    proxy_temp_path $workdir/proxy;
    fastcgi_temp_path $workdir/fastcgi;
    uwsgi_temp_path $workdir/uwsgi;
    scgi_temp_path $workdir/scgi;
    log_format routed '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                      'route=\$route upstream=\$upstream_addr';
    access_log $workdir/access.log routed;
    server_tokens off;

    map \$cookie_attention_route \$route {
        ""      \$request_id;
        default \$cookie_attention_route;
    }
    map \$cookie_attention_route \$route_cookie {
        ""      "attention_route=\$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ""      close;
    }
    upstream replicas {
        hash \$route consistent;
$servers    }
    server {
        listen 127.0.0.1:$port;
        client_max_body_size 1m;  # the page takes no uploads
        error_page 502 503 504 /unavailable.html;
        add_header X-Content-Type-Options nosniff always;  # the error page's, as every response's
        add_header Content-Security-Policy "frame-ancestors $frame_ancestors" always;
        location = /unavailable.html { root $workdir; internal; }
        location / {  # everything, /_stcore/health and the /_stcore/stream websocket included
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_read_timeout 1d;  # a websocket is idle while its visitor reads the page
            proxy_send_timeout 1d;
            proxy_next_upstream error timeout;  # a dead replica's browsers move to a live one
            add_header Set-Cookie \$route_cookie always;
            add_header X-Content-Type-Options nosniff always;  # a location's add_header drops the server's
            add_header Content-Security-Policy "frame-ancestors $frame_ancestors" always;
        }
    }
}
NGINX

"$nginx" -p "$workdir" -c "$workdir/nginx.conf" -e "$workdir/nginx-error.log" &
nginx_pid=$!
role[$nginx_pid]=nginx
echo "nginx pid $nginx_pid port $port"
echo "workdir $workdir"
wait_healthy "http://127.0.0.1:$port" "$nginx_pid" nginx-error
echo "ready http://127.0.0.1:$port ($replicas replicas)"

# Supervise: every child is a job of this shell, so `wait -n` wakes for whichever ends first (a
# trapped signal wakes it too). A dead replica gets a back-off timer, an expired timer restarts it.
while true; do
  died="" status=0
  wait -n -p died 2>/dev/null || status=$? # 2>/dev/null: bash's own "Killed" notice; ours is plainer
  case ${role[${died:-none}]:-} in
    nginx)
      echo "stopping: nginx (pid $died) exited with status $status" >&2
      exit 1
      ;;
    replica*) replica_exited "${role[$died]#replica }" "$status" ;;
    timer*) restart_replica "${role[$died]#timer }" ;;
    *) if [[ -z $died ]]; then echo "stopping: no process left to watch" >&2 && exit 1; fi ;;
  esac
  unset "role[$died]"
done
