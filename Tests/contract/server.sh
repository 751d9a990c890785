# Sourced by run.sh: start_server DIR [ARGS...] starts the built server on a free loopback port
# with its own state directory and generated admin token; sets SERVER_PID, BASE and TOKEN.
# stop_server stops it (SIGTERM, then waits).

start_server() {
	dir=$1
	shift
	mkdir -p "$dir/state"
	"$SERVER" --listen 127.0.0.1:0 --state-dir "$dir/state" --log-level notice "$@" >"$dir/server.log" 2>&1 &
	SERVER_PID=$!
	port=""
	tries=0
	while [ -z "$port" ]; do
		tries=$((tries + 1))
		if [ $tries -gt 300 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "the server did not start:" >&2
			cat "$dir/server.log" >&2
			return 1
		fi
		sleep 0.05
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/server.log" | head -n 1)
	done
	BASE="http://127.0.0.1:$port"
	TOKEN=$(cat "$dir/state/admin.token")
}

stop_server() {
	[ -n "${SERVER_PID:-}" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}
