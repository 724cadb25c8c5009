# Sourced by the test scripts that run bsrun while other builds may run on
# the same machine: what the bsruns of this run left, and nothing of others.

# roots_left PIDFILE: the build roots (named img-PID-* or root-PID-*) and
# their mounts that the bsruns whose pids are listed in PIDFILE left behind,
# as " root:NAME" and " mount-of-bsrun-PID" words; empty when none.
roots_left() {
	local p r out=""
	[ -f "$1" ] || return 0
	while read -r p; do
		[ -n "$p" ] || continue
		for r in /var/tmp/bsrun/roots/img-"$p"-* /var/tmp/bsrun/roots/root-"$p"-*; do
			[ -e "$r" ] && out="$out root:${r##*/}"
		done
		grep -q -- "/var/tmp/bsrun/roots/[a-z]*-$p-" /proc/self/mountinfo && out="$out mount-of-bsrun-$p"
	done <"$1"
	echo "$out"
}
