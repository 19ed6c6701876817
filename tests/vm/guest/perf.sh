# The "perf" check group (sourced by suite.sh, dash): the kernel's LIO
# ib_srpt and srptd side by side on the same file and the same fio jobs,
# in one boot, one target serving at a time (issue 14 item 1;
# README.md "The perf group", doc/performance.md).
#
# Both targets are started once, on the same 256 MiB file on tmpfs (each
# target's own backing path is a symbolic link to it).  For each of
# PERF_ROUNDS rounds and each job, the initiator logs in to LIO, runs the
# job, logs out, then does the same with srptd: only the target with a
# session serves; the other one is idle.  Alternating job by job spreads
# the drift of the host's load (TCG speed follows it) over both targets.
#
# fio's I/O buffers are in huge pages (--iomem=mmaphuge; perf_setup
# reserves them): a buffer of ordinary pages is physically contiguous
# only where transparent huge pages happen to cover it, which varies from
# one fio process to the next (where its mapping falls), and ib_srp sends
# at most 12 SG elements per command, so the initiator split a 128 KiB
# read into 1.0 to 1.8 commands and a 1 MiB write into 2.4 to 6.4 at
# random, whichever the target (doc/performance.md "Commands per I/O").
# In huge pages every job gets the fewest commands: one per 128 KiB
# read, two per 1 MiB write (ib_srp's 512 KiB max_sectors).
#
# Per run the guest's counters are read before and after fio:
#   /proc/stat "cpu"   user+nice+system+irq+softirq of all CPUs (the
#                      kernel target's work is system/softirq time, the
#                      userspace target's user+system: counted alike),
#                      and split into user, system and irq+softirq
#   /proc/PID/stat     srptd's own user and system time (all threads)
#   /proc/stat "ctxt", "intr"  context switches and interrupts of the
#                      whole guest (a wake-up of a sleeping thread, user
#                      or kernel, is two switches; each is emulated work
#                      under TCG)
#   /proc/stat "cpuN"  each vCPU's busy share while fio runs (2 s in to
#                      2 s before its end), and which vCPU fio's, srptd's
#                      and ksoftirqd's threads were on and how busy
#                      (INFO perf_vcpus): a saturated vCPU bounds the rate
#   rxe hw_counters    sent_pkts / rcvd_pkts of every rxe device (the
#                      initiator and the target share rxe0: both sides)
#   srptd              its workers' fabric counters (srptadm --json stats:
#                      send posts, send WRs, receive posts, completion
#                      events, polls, completions, CQ arms; doc/statistics.md)
# and fio reports its own user and system time (the initiator side).
# After the rounds, a shorter pass per job runs with strace -c -f attached
# to srptd: the rate drops under ptrace, the system calls per I/O stay
# right.
#
# Figures only: a check fails only when a target cannot be set up or fio
# cannot run.  Output: INFO perf_run (every run), INFO perf_strace, INFO
# perf_job (per job: medians, ranges, ratio, per-I/O figures over all
# rounds) and a readable table (INFO perf | ...).
#
# Knobs (kernel command line via run.sh): VMRIG_PERF_ROUNDS (--perf-rounds,
# default 3), VMRIG_PERF_SECONDS (--perf-seconds, default 20),
# VMRIG_PERF_JOBS (--perf-jobs, comma list of job names, default all),
# VMRIG_PERF_STRACE_SECONDS (--perf-strace-seconds, default 10; 0: no
# strace pass), VMRIG_PERF_PROFILE_SECONDS (--perf-profile-seconds,
# default 0: no profile pass), VMRIG_PERF_WAKEUPS_SECONDS
# (--perf-wakeups-seconds, default 0: no wake-up pass), VMRIG_PERF_PIN
# (--perf-pin, default 0: 1 runs fio on vCPU 0 for every target and
# srptd's threads on the other vCPUs, as systemd's CPUAffinity= would;
# LIO's work runs in softirqs and kworkers on the CPU that raised them:
# nothing of it to pin).

PERF_ROUNDS=${VMRIG_PERF_ROUNDS:-3}
PERF_SECONDS=${VMRIG_PERF_SECONDS:-20}
PERF_STRACE_SECONDS=${VMRIG_PERF_STRACE_SECONDS:-10}
PERF_PROFILE_SECONDS=${VMRIG_PERF_PROFILE_SECONDS:-0}
PERF_WAKEUPS_SECONDS=${VMRIG_PERF_WAKEUPS_SECONDS:-0}
PERF_PIN=${VMRIG_PERF_PIN:-0}
PERF_DIR=/tmp/perf
PERF_FILE=$PERF_DIR/disk.img
PERF_FIG=$PERF_DIR/runs.txt
PERF_STRACE_FIG=$PERF_DIR/strace.txt
PERF_FIO_FIG=$PERF_DIR/fio-cpu.txt
# 2 MiB huge pages for fio's buffers: the largest job's (1 MiB x 8 deep)
# and fio's alignment slack fit in 32 MiB.
PERF_HUGEPAGES=16
# name:rw:bs:iodepth
PERF_ALL_JOBS="4k-randread-qd32:randread:4k:32 4k-randwrite-qd32:randwrite:4k:32 128k-read-qd32:read:128k:32 1m-write-qd8:write:1m:8"
# srptd's fabric counters, in the order of the perf_run fields
PERF_FAB_KEYS="send_posts send_wrs recv_posts recv_wrs events polls completions arms"

perf_jobs() {
	for _pfj in $PERF_ALL_JOBS; do
		case ,${VMRIG_PERF_JOBS:-all}, in
		*,all,* | *,"${_pfj%%:*}",*) echo "$_pfj" ;;
		esac
	done
}

perf_targets() {
	for _pft in lio srptd; do
		case ,$VMRIG_TARGETS, in *,$_pft,*) echo $_pft ;; esac
	done
	[ "${VMRIG_SRPTD_B:-0}" = 1 ] && perf_targets_srptd && echo srptdb
	return 0
}

perf_targets_srptd() {
	case ,$VMRIG_TARGETS, in *,srptd,*) return 0 ;; esac
	return 1
}

# perf_is_srptd T: T is srptd, build A or B (srptdb).
perf_is_srptd() {
	[ "$1" = srptd ] || [ "$1" = srptdb ]
}

# perf_with T FUNCTION ARGS...: FUNCTION ARGS with target T serving.  For
# srptdb (run.sh --srptd-b), srptd is restarted with /usr/sbin/srptd-b
# first and with its own binary after: same file, same configuration,
# same boot, so that B against A is not blurred by the spread between
# boots (doc/performance.md "Quiet host, 7 Dec 2026 evening").
perf_with() {
	[ "$1" = srptdb ] || { shift; "$@"; return; }
	shift
	perf_swap /usr/sbin/srptd-b || return 1
	"$@"
	_pfwrc=$?
	perf_swap /usr/sbin/srptd || return 1
	return $_pfwrc
}

# perf_swap BIN: stop srptd and start BIN in its place.
perf_swap() {
	. /vm/target-srptd.sh
	target_stop >/dev/null || fail "srptd did not stop" || return 1
	perf_start_srptd "$1"
}

# perf_cpu: busy jiffies of all CPUs (user nice system irq softirq), then
# the same split as user+nice, system, irq+softirq.
perf_cpu() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $2 + $3, $4, $7 + $8; exit }' /proc/stat
}

# perf_proc T: jiffies srptd's process spent in user and in system mode
# (all its threads: /proc/PID/stat fields 14 and 15) and the context
# switches of its threads (each time one slept and woke, or was
# preempted), "- - -" for LIO, whose work runs in kernel threads and
# softirqs that no process owns.
perf_proc() {
	if perf_is_srptd "$1" && [ -r "/proc/$SRPTD_PID/stat" ]; then
		echo "$(sed 's/.*) //' "/proc/$SRPTD_PID/stat" | awk '{ print $12, $13 }')" \
			"$(perf_switches "$SRPTD_PID" | awk '{ s += $3 } END { print s + 0 }')"
	else
		echo "- - -"
	fi
}

# perf_sched: context switches and interrupts of the whole guest so far.
perf_sched() {
	awk '$1 == "ctxt" { c = $2 } $1 == "intr" { i = $2 } END { print c + 0, i + 0 }' /proc/stat
}

# perf_switches [PID]: "tid name switches" of every task of the guest (or
# of process PID), switches voluntary and involuntary
# (/proc/*/task/*/status).
perf_switches() {
	awk 'FNR == 1 {
		if (t) print t, n, s
		t = FILENAME; sub(/\/status$/, "", t); sub(/.*\//, "", t)
		n = "?"; s = 0
	}
	/^Name:/ { n = $2 }
	/ctxt_switches:/ { s += $2 }
	END { if (t) print t, n, s }' /proc/${1:-[0-9]*}/task/[0-9]*/status 2>/dev/null
}

# perf_vcpus: "cpuN busy total" jiffies of every CPU so far (busy: user
# nice system irq softirq; total adds idle, iowait and steal), then
# "tid name cpu ticks" of fio's and srptd's threads: the CPU each last
# ran on (/proc/PID/task/TID/stat field 39) and its user+system ticks
# (fields 14 and 15).  Whether one vCPU is saturated, and by whom, tells
# what bounds a job's rate (doc/performance.md "Where the vCPUs go").
perf_vcpus() {
	awk '$1 ~ /^cpu[0-9]/ { print $1, $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
	awk '{ n = $0; sub(/^[0-9]+ \(/, "", n); sub(/\) [^)]*$/, "", n)
		s = $0; sub(/.*\) /, "", s); split(s, f, " ")
		if (n == "fio" || n ~ /^srptd-io/ || n ~ /^ksoftirqd/)
			print $1, n, f[37], f[12] + f[13] }' \
		/proc/[0-9]*/task/[0-9]*/stat 2>/dev/null
}

# perf_vcpus_top BEFORE AFTER: from two perf_vcpus snapshots, each vCPU's
# busy share of the interval in percent (busy=cpu0:97,cpu1:61), then the
# threads that ran at least 5% of one CPU's interval, with the CPU they
# were last on and their share (tasks=fio@0:85,srptd-ioN@1:40).
perf_vcpus_top() {
	awk 'NR == FNR { if ($1 ~ /^cpu/) { b[$1] = $2; t[$1] = $3 } else k[$1] = $4; next }
	$1 ~ /^cpu/ { d = $3 - t[$1]; if (d > 0) tot = d
		busy = busy (busy ? "," : "") $1 ":" int(100 * ($2 - b[$1]) / (d > 0 ? d : 1) + 0.5); next }
	($1 in k) { n = $2; gsub(/[0-9]+/, "N", n); tk[++m] = n "@" $3; dt[m] = $4 - k[$1] }
	END {
		printf "busy=%s tasks=", busy
		for (i = 1; i <= m; i++)
			if (tot > 0 && dt[i] * 100 >= 5 * tot)
				printf "%s%s:%d", (c++ ? "," : ""), tk[i], int(100 * dt[i] / tot + 0.5)
		print ""
	}' "$1" "$2"
}

# perf_switches_top BEFORE AFTER IOS: the tasks that switched most between
# two perf_switches snapshots, by name (digits folded: kworker/N:NH),
# as name:switches-per-I/O, most first; tasks present in both only (fio
# is: the snapshots are taken while it runs).
perf_switches_top() {
	awk 'NR == FNR { b[$1] = $3; next }
	($1 in b) { n = $2; gsub(/[0-9]+/, "N", n); d[n] += $3 - b[$1] }
	END { for (k in d) if (d[k] > 0) print k, d[k] }' "$1" "$2" |
		sort -k2 -rn | head -n 8 |
		awk -v ios="$3" '{ printf "%s%s:%.2f", (NR > 1 ? "," : ""), $1, (ios > 0 ? $2 / ios : 0) }'
}

# perf_rxe NAME: the sum of rxe hw counter NAME over every rxe device.
perf_rxe() {
	cat /sys/class/infiniband/rxe*/ports/1/hw_counters/"$1" 2>/dev/null |
		awk '{ s += $1 } END { print s + 0 }'
}

# perf_fab: srptd's fabric counters summed over its workers, in the order
# of PERF_FAB_KEYS, or "-" each when srptadm is not in the guest or the
# daemon does not report them.
perf_fab() {
	_pfjs=
	command -v srptadm >/dev/null 2>&1 &&
		_pfjs=$(timeout 10 srptadm --json stats 2>/dev/null | tr -d ' \n')
	for _pfk in $PERF_FAB_KEYS; do
		case $_pfjs in
		*"\"$_pfk\":"*)
			echo "$_pfjs" | grep -o "\"$_pfk\":[0-9]*" |
				awk -F: '{ s += $2 } END { printf "%s ", s + 0 }'
			;;
		*) printf -- '- ' ;;
		esac
	done
	echo
}

# perf_snap T before|after: one line of counters: cpu tx rx scsi_cmds
# cpu_user cpu_sys cpu_irq proc_user proc_sys proc_ctxt ctxt intr fab...
# srptadm (perf_fab) runs outside the window the CPU counters span:
# before them in the first snapshot, after them in the second.
perf_snap() {
	_pfsf=
	perf_is_srptd "$1" && [ "$2" = before ] && _pfsf=$(perf_fab)
	set -- "$1" "$2" $(perf_cpu)
	_pfsl="$3 $(perf_rxe sent_pkts) $(perf_rxe rcvd_pkts)"
	_pfsl="$_pfsl $(awk '{ print $1 + $5 }' /sys/block/$DEV/stat)"
	_pfsl="$_pfsl $4 $5 $6 $(perf_proc "$1") $(perf_sched)"
	perf_is_srptd "$1" && [ "$2" = after ] && _pfsf=$(perf_fab)
	echo "$_pfsl $_pfsf"
}

perf_setup() {
	mkdir -p $PERF_DIR || fail "mkdir $PERF_DIR" || return 1
	: >$PERF_FIG
	: >$PERF_STRACE_FIG
	: >$PERF_FIO_FIG
	# Written once, so that reads are of data on both targets (a hole
	# on tmpfs reads as the zero page, cheaper than a real page).
	dd if=/dev/zero of=$PERF_FILE bs=1M count=256 2>/dev/null ||
		fail "cannot write $PERF_FILE" || return 1
	echo $PERF_HUGEPAGES >/proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge $PERF_HUGEPAGES ] ||
		fail "only $(cat /proc/sys/vm/nr_hugepages) of $PERF_HUGEPAGES huge pages for fio's buffers" ||
		return 1
	[ "$PERF_PIN" != 1 ] || [ "$(nproc)" -ge 2 ] ||
		fail "--perf-pin needs 2 vCPUs or more, the guest has $(nproc)" ||
		return 1
	report "INFO perf_config rounds=$PERF_ROUNDS seconds=$PERF_SECONDS strace_seconds=$PERF_STRACE_SECONDS jobs=$(perf_jobs | cut -d: -f1 | tr '\n' ',') targets=$(perf_targets | tr '\n' ',') cpus=$(grep -c ^processor /proc/cpuinfo) pin=$PERF_PIN srptd_set=${VMRIG_SRPTD_SET:-none}"
	report "INFO perf_rxe_counters=$(ls /sys/class/infiniband/rxe0/ports/1/hw_counters/ 2>/dev/null | tr '\n' ',')"
	for _pft in $(perf_targets); do
		[ $_pft = srptdb ] || perf_start_$_pft || return 1
	done
	[ "${VMRIG_SRPTD_B:-0}" = 1 ] && ! perf_targets_srptd &&
		report "INFO perf_note --srptd-b without the srptd target: no B runs"
	return 0
}

perf_start_lio() {
	. /vm/target-lio.sh
	mkdir -p $LIO_DIR && ln -sf $PERF_FILE $LIO_DIR/vmdisk0 ||
		fail "cannot link $LIO_DIR/vmdisk0" || return 1
	target_start || fail "lio: $WHY" || return 1
	PERF_LOGIN_lio="$TGT_ID_EXT $TGT_IOC_GUID $TGT_PORT"
}

# perf_start_srptd [BIN]: srptd (or BIN) on the perf file.
perf_start_srptd() {
	. /vm/target-srptd.sh
	SRPTD_BIN=${1:-$SRPTD_BIN}
	# Production logging: the suite's debug level is not what is measured.
	SRPTD_LOG_LEVEL=info
	mkdir -p $SRPTD_DIR && ln -sf $PERF_FILE $SRPTD_DIR/disk0.img ||
		fail "cannot link $SRPTD_DIR/disk0.img" || return 1
	target_start || fail "srptd: $WHY" || return 1
	# --perf-pin: every thread of srptd now, and the threads they start
	# later inherit the mask
	if [ "$PERF_PIN" = 1 ]; then
		taskset -a -cp "1-$(($(nproc) - 1))" "$SRPTD_PID" >/dev/null ||
			fail "taskset srptd" || return 1
	fi
	PERF_LOGIN_srptd="$TGT_ID_EXT $TGT_IOC_GUID $TGT_PORT"
	PERF_LOGIN_srptdb=$PERF_LOGIN_srptd
	command -v srptadm >/dev/null 2>&1 ||
		report "INFO perf_note srptadm is not in the guest: no srptd fabric counters (run.sh copies tools/srptadm from beside the srptd binary, or --srptadm)"
}

# perf_login T: log in to target T (started by perf_setup); sets DEV.
perf_login() {
	eval "set -- \$PERF_LOGIN_$1"
	TGT_ID_EXT=$1
	TGT_IOC_GUID=$2
	TGT_PORT=$3
	DEV=
	chk_login
}

# perf_fio NAME RW BS DEPTH SECONDS: the job on /dev/$DEV, buffers in huge
# pages, terse output in $PERF_DIR/NAME.out.  Prints "iops kib_per_s ios
# fio_user_jiffies fio_sys_jiffies" (fio's own CPU time, USER_HZ 100).
perf_fio() {
	timeout $(($5 + 120)) fio --name="$1" --filename="/dev/$DEV" \
		--allow_file_create=0 --direct=1 --ioengine=libaio --rw="$2" \
		--bs="$3" --iodepth="$4" --time_based --runtime="$5" \
		--size=$((256 * 1024 * 1024)) --iomem=mmaphuge \
		$([ "$PERF_PIN" = 1 ] && echo --cpus_allowed=0) \
		--output-format=terse \
		--terse-version=3 >"$PERF_DIR/$1.out" 2>&1 ||
		{ cat "$PERF_DIR/$1.out"; return 1; }
	# terse v3: read kb/bw/iops/runtime (ms) fields 6-9, write 47-50,
	# fio's own CPU (percent of its runtime) usr 88 and sys 89
	awk -F';' -v bs="$3" 'NR == 1 {
		b = bs; m = 1
		if (b ~ /k$/) { m = 1024 } else if (b ~ /m$/) { m = 1048576 }
		sub(/[km]$/, "", b)
		ms = $9 > $50 ? $9 : $50
		printf "%d %d %d %.0f %.0f\n", $8 + $49, $7 + $48,
			($6 + $47) * 1024 / (b * m), $88 * ms / 1000, $89 * ms / 1000
	}' "$PERF_DIR/$1.out"
}

# perf_job_parse NAME:RW:BS:DEPTH (a PERF_ALL_JOBS entry): sets _pfname,
# _pfrw, _pfbs and _pfqd.
perf_job_parse() {
	_pfname=${1%%:*}
	_pfspec=${1#*:}
	_pfrw=${_pfspec%%:*}
	_pfspec=${_pfspec#*:}
	_pfbs=${_pfspec%%:*}
	_pfqd=${_pfspec#*:}
}

# perf_run T JOB ROUND: log in to T, run JOB with the counters read around
# it, log out; one line in $PERF_FIG and an INFO perf_run line.
perf_run() {
	_pft=$1
	perf_job_parse "$2"
	perf_login "$_pft" || return 1
	_pfa=$(perf_snap "$_pft" before)
	# which tasks switch: two snapshots while fio runs, 2 s in and 2 s
	# before its end (two awk runs, the same for both targets)
	_pfsw=$((PERF_SECONDS > 6 ? PERF_SECONDS - 4 : 0))
	rm -f "$PERF_DIR/switches-before" "$PERF_DIR/switches-after" \
		"$PERF_DIR/vcpus-before" "$PERF_DIR/vcpus-after"
	[ $_pfsw -gt 0 ] && (sleep 2; perf_vcpus >"$PERF_DIR/vcpus-before"
		perf_switches >"$PERF_DIR/switches-before"
		sleep $_pfsw; perf_switches >"$PERF_DIR/switches-after"
		perf_vcpus >"$PERF_DIR/vcpus-after") &
	_pfswp=$!
	_pff=$(perf_fio "$_pft-$_pfname" "$_pfrw" "$_pfbs" "$_pfqd" "$PERF_SECONDS")
	_pffrc=$?
	wait $_pfswp
	_pfb=$(perf_snap "$_pft" after)
	srp_logout || fail "logout: $WHY" || return 1
	DEV=
	[ $_pffrc = 0 ] && [ -n "$_pff" ] || fail "fio $_pfname on $_pft failed" || return 1
	# deltas: cpu tx rx cmds fab...
	_pfd=$(echo "$_pfa | $_pfb" | awk '{
		n = 0; for (i = 1; $i != "|"; i++) n++
		for (i = 1; i <= n; i++) {
			a = $i; b = $(i + n + 1)
			printf "%s ", (a == "-" || b == "-") ? "-" : b - a
		}
	}')
	# fio's own CPU apart: PERF_FIG keeps its columns
	_pffc=$(echo "$_pff" | cut -d' ' -f4-5)
	_pff=$(echo "$_pff" | cut -d' ' -f1-3)
	echo "$_pfname $_pft $3 $_pff $_pfd" >>$PERF_FIG
	echo "$_pfname $_pft $3 $(echo "$_pff" | cut -d' ' -f3) $_pffc" >>$PERF_FIO_FIG
	[ -s "$PERF_DIR/switches-after" ] &&
		report "INFO perf_switches round=$3 job=$_pfname target=$_pft per_io=$(perf_switches_top "$PERF_DIR/switches-before" "$PERF_DIR/switches-after" "$(echo "$_pff" | awk -v s=$_pfsw '{ print $1 * s }')") (switches per I/O by task name, over ${_pfsw} s of the run)"
	[ -s "$PERF_DIR/vcpus-after" ] &&
		report "INFO perf_vcpus round=$3 job=$_pfname target=$_pft $(perf_vcpus_top "$PERF_DIR/vcpus-before" "$PERF_DIR/vcpus-after") (percent of the interval per vCPU; threads >= 5% of a CPU @ the vCPU they last ran on)"
	report "INFO perf_run round=$3 job=$_pfname target=$_pft $(echo "$_pff $_pfd" | awk -v keys="iops kibps ios cpu_jiffies rxe_sent_pkts rxe_rcvd_pkts scsi_cmds cpu_user_jiffies cpu_sys_jiffies cpu_irq_jiffies proc_user_jiffies proc_sys_jiffies proc_ctxt ctxt intr $PERF_FAB_KEYS" '{
		n = split(keys, k, " ")
		for (i = 1; i <= n && i <= NF; i++) printf "%s=%s ", k[i], $i
	}')fio_user_jiffies=${_pffc% *} fio_sys_jiffies=${_pffc#* }"
}

# perf_strace_attach NAME: strace -c -f on every thread of srptd, in the
# background (PERF_SP), output in $PERF_DIR/strace-NAME.txt; its start in
# PERF_ST0 (seconds of uptime).
perf_strace_attach() {
	_pfst=$(command -v strace || echo /usr/local/bin/strace)
	[ -x "$_pfst" ] || fail "no strace in the guest" || return 1
	PERF_ST0=$(now)
	"$_pfst" -c -f -p "$SRPTD_PID" -o "$PERF_DIR/strace-$1.txt" &
	PERF_SP=$!
	sleep 2 # attached to every thread before the I/O starts
}

# perf_strace_detach NAME: stop strace; prints the seconds it was attached.
perf_strace_detach() {
	kill -INT $PERF_SP
	wait $PERF_SP
	elapsed "$PERF_ST0"
	cat "$PERF_DIR/strace-$1.txt" >&2
}

# The system calls srptd makes with no session (its device scan every
# 2 s, timers): subtracted, by rate, from the passes under I/O, which
# run slowly enough under ptrace for them to matter.
perf_strace_idle() {
	. /vm/target-srptd.sh
	perf_strace_attach idle || return 1
	sleep "$PERF_STRACE_SECONDS"
	PERF_IDLE_S=$(perf_strace_detach idle)
	report "INFO perf_strace_idle seconds=$PERF_IDLE_S calls=$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" && NF >= 5 { t += $4 } END { print t + 0 }' $PERF_DIR/strace-idle.txt)"
}

# perf_strace JOB: srptd serving JOB for PERF_STRACE_SECONDS under strace:
# system calls per I/O, by name, the idle rate subtracted.
perf_strace() {
	perf_job_parse "$1"
	. /vm/target-srptd.sh
	perf_login srptd || return 1
	perf_strace_attach "$_pfname" || return 1
	_pff=$(perf_fio "strace-$_pfname" "$_pfrw" "$_pfbs" "$_pfqd" "$PERF_STRACE_SECONDS")
	_pffrc=$?
	_pfwin=$(perf_strace_detach "$_pfname")
	srp_logout || fail "logout: $WHY" || return 1
	DEV=
	[ $_pffrc = 0 ] && [ -n "$_pff" ] || fail "fio $_pfname under strace failed" || return 1
	set -- $_pff
	_pfios=$3
	[ "$_pfios" -gt 0 ] || fail "no I/O under strace" || return 1
	# strace -c rows: % time, seconds, usecs/call, calls, [errors,] name
	_pfsum=$(awk -v ios="$_pfios" -v win="$_pfwin" -v iwin="${PERF_IDLE_S:-0}" \
		-v idle="$PERF_DIR/strace-idle.txt" '
	$1 !~ /^[0-9.]+$/ || $NF == "total" || NF < 5 { next }
	FILENAME == idle { ic[$NF] = $4; next }
	{ c[$NF] = $4 }
	END {
		for (s in c) {
			v = c[s] - (iwin > 0 ? ic[s] * win / iwin : 0)
			c[s] = v > 0 ? v : 0
			t += c[s]
		}
		printf "syscalls_per_io=%.2f", t / ios
		for (s in c) if (c[s] > 0) printf " %s %.2f", s, c[s] / ios
	}' $([ -s $PERF_DIR/strace-idle.txt ] && echo $PERF_DIR/strace-idle.txt) \
		"$PERF_DIR/strace-$_pfname.txt")
	_pftop=$(echo "$_pfsum" | cut -d' ' -f2- | awk '{
		for (i = 1; i < NF; i += 2) print $(i + 1), $i
	}' | sort -rn | head -n 8 | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }')
	echo "$_pfname ${_pfsum%% *} $_pftop" >>$PERF_STRACE_FIG
	report "INFO perf_strace job=$_pfname ios=$_pfios iops_under_strace=$1 seconds=$_pfwin ${_pfsum%% *} per_io=$_pftop (a separate pass under strace -c -f: the rate drops, the calls per I/O stay right; the idle rate is subtracted)"
}

# perf_record T SECONDS DATA EVENT-OPTIONS...: T serving the job of the
# last perf_job_parse while `perf record -a -g` (with EVENT-OPTIONS) runs
# for SECONDS into DATA, after 3 s of fio at full depth; fio's "iops
# kib_per_s ios" in $PERF_DIR/record-fio.txt.  Sets _pfperf.
perf_record() {
	_pfperf=$(command -v perf || echo /usr/local/bin/perf)
	[ -x "$_pfperf" ] || fail "no perf in the guest" || return 1
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	perf_login "$1" || return 1
	perf_fio "record-$1-$_pfname" "$_pfrw" "$_pfbs" "$_pfqd" \
		$(($2 + 6)) >"$PERF_DIR/record-fio.txt" &
	_pffp=$!
	sleep 3 # fio at full depth before sampling starts
	_pfrs=$2
	_pfrd=$3
	shift 3
	"$_pfperf" record -q -a -g "$@" -o "$_pfrd" -- sleep "$_pfrs" \
		>"$PERF_DIR/record.txt" 2>&1
	_pfprc=$?
	wait $_pffp
	_pffrc=$?
	srp_logout || fail "logout: $WHY" || return 1
	DEV=
	[ $_pfprc = 0 ] || { cat "$PERF_DIR/record.txt"; fail "perf record failed"; return 1; }
	[ $_pffrc = 0 ] || fail "fio $_pfname under perf record failed" || return 1
}

# perf_profile T JOB: T serving JOB while `perf record -a` samples every
# CPU (cpu-clock: the guest has no hardware counters under TCG) for
# PERF_PROFILE_SECONDS; reports the split of the samples by thread name
# and object (kernel, a program, a library), the top symbols of the whole
# guest and, for srptd, its threads' inclusive time per function, as
# INFO perf_profile lines.  Where a kernel target's work and a userspace
# target's differ, this shows it by function (item 2 of issue 14).
perf_profile() {
	_pft=$1
	perf_job_parse "$2"
	_pfdata=$PERF_DIR/profile-$_pft-$_pfname.data
	perf_record "$_pft" "$PERF_PROFILE_SECONDS" "$_pfdata" \
		-e cpu-clock -F 499 || return 1
	set -- $(cat "$PERF_DIR/record-fio.txt")
	report "INFO perf_profile job=$_pfname target=$_pft iops_while_sampled=$1 ios=$3 seconds=$PERF_PROFILE_SECONDS samples=$("$_pfperf" report -i "$_pfdata" --stdio --no-children -g none --sort comm 2>/dev/null | awk '/^# Samples:/ { print $3 }')"
	# by thread name and object (kernel, srptd, a library), then by
	# thread and symbol: self samples, percent of all samples of all CPUs
	{
		"$_pfperf" report -i "$_pfdata" --stdio --no-children -g none --sort comm,dso \
			--percent-limit 1 2>/dev/null | awk '$1 ~ /%$/ {
			printf "share=%s comm=%s dso=%s\n", $1, $2, $3 }'
		"$_pfperf" report -i "$_pfdata" --stdio --no-children -g none \
			-n --sort sym --percent-limit 0.3 2>/dev/null |
			awk '$1 ~ /%$/ {
			p = $1; n = $2; $1 = $2 = $3 = ""; sub(/^ +/, "")
			printf "share=%s samples=%s sym=%s\n", p, n, $0 }'
		# srptd's threads: time in each function and what it calls
		# (system call entries, the verbs provider, the event loop)
		_pfcomms=$("$_pfperf" report -i "$_pfdata" --stdio --no-children --sort comm \
			-g none 2>/dev/null | awk '$1 ~ /%$/ && $2 ~ /^srptd/ {
			printf "%s%s", (n++ ? "," : ""), $2 }')
		[ -n "$_pfcomms" ] &&
			"$_pfperf" report -i "$_pfdata" --stdio --children -g none \
				--comms "$_pfcomms" --sort sym --percent-limit 1.5 \
				2>/dev/null | awk '$1 ~ /%$/ && $2 ~ /%$/ {
				i = $1; p = $2; $1 = $2 = $3 = ""; sub(/^ +/, "")
				printf "srptd_threads_incl=%s self=%s sym=%s\n", i, p, $0 }'
	} | while read -r _pfl; do
		report "INFO perf_profile job=$_pfname target=$_pft $_pfl"
	done
}

# perf_wakeups T JOB: T serving JOB while `perf record -a -g` traces
# every wake-up (sched:sched_wakeup) for PERF_WAKEUPS_SECONDS; reports per
# I/O who woke whom, on the same CPU or another, from which context
# (system call, softirq, interrupt, a kernel thread) and through which
# kernel functions (the first frames below the scheduler's own), as INFO
# perf_wakeups lines.  The perf group's switch counts say which tasks
# switch; this says what makes them run (doc/performance.md "Wake-ups").
perf_wakeups() {
	_pft=$1
	perf_job_parse "$2"
	_pfdata=$PERF_DIR/wakeups-$_pft-$_pfname.data
	perf_record "$_pft" "$PERF_WAKEUPS_SECONDS" "$_pfdata" \
		-e sched:sched_wakeup || return 1
	set -- $(cat "$PERF_DIR/record-fio.txt")
	_pfios=$(($1 * PERF_WAKEUPS_SECONDS))
	report "INFO perf_wakeups job=$_pfname target=$_pft iops_while_traced=$1 ios=$_pfios seconds=$PERF_WAKEUPS_SECONDS"
	# (not syscalls:* tracepoints: enabling them under load stalled the
	# guest's kernel in syscall_trace_enter, 7 Dec 2026)
	"$_pfperf" script -i "$_pfdata" -F comm,cpu,event,trace,ip,sym \
		>"$PERF_DIR/wakeups.txt" 2>/dev/null
	perf_wakeups_sum "$_pfios" <"$PERF_DIR/wakeups.txt" | while read -r _pfl; do
		report "INFO perf_wakeups job=$_pfname target=$_pft $_pfl"
	done
}

# perf_wakeups_sum IOS: perf script's wake-ups (a header line, then the
# waker's stack one frame per line, innermost first) on stdin; the 15
# most frequent "woken <- waker" pairs per I/O with the context
# (syscall, softirq, irq, task), the first three frames below the
# scheduler's own and, after "|", the three frames that entered that
# context (for a softirq: ksoftirqd's thread function, an interrupt's
# exit, or a bottom-half enable in some task's code).  Task names lose
# their digits (ksoftirqd/N, kworker/N:N).
perf_wakeups_sum() {
	awk -v ios="$1" '
	function norm(s) { gsub(/[0-9]+/, "N", s); return s }
	function flush() {
		if (wakee == "") return
		ctx = "task"; m = nf
		for (i = 1; i <= nf; i++) {
			# (Linux 6.1.1xx: __do_softirq is handle_softirqs)
			if (f[i] ~ /^(__do_softirq|handle_softirqs|run_ksoftirqd)$/) { ctx = "softirq"; m = i; break }
			if (f[i] ~ /^(asm_)?(common_interrupt|sysvec_)/) { ctx = "irq"; m = i; break }
			if (f[i] ~ /^do_syscall_64$/) { ctx = "syscall"; m = i; break }
		}
		path = ""; np = 0
		for (i = 1; i < m && np < 3; i++) {
			if (f[i] ~ /wake|^ttwu|^try_to_wake|^__queue_work$|^queue_work_on$|^insert_work$|^raise_softirq|^__raise_softirq|^swake_up|^complete$|^autoremove|^default_wake|^ep_poll_callback$|^pollwake$|^signal_wake|^__send_signal|^\[unknown\]$/)
				continue
			path = path (np++ ? "<" : "") f[i]
		}
		# what ran that context: the frames just outside it
		path = path " |"
		for (i = m + 1; i <= nf && i <= m + 3; i++)
			path = path " " f[i]
		key = wakee " <- " waker " " (same ? "same-cpu" : "other-cpu") " " ctx " " path
		n[key]++
		wakee = ""
	}
	/^[^ \t]/ {
		flush()
		waker = norm($1); same = 0; wakee = ""; nf = 0
		cpu = ""; tcpu = ""
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^\[[0-9]+\]$/) { cpu = $i; gsub(/[^0-9]/, "", cpu); cpu += 0 }
			if ($i ~ /^comm=/) wakee = norm(substr($i, 6))
			if ($i ~ /^target_cpu=/) tcpu = substr($i, 12) + 0
		}
		same = (cpu == tcpu)
		next
	}
	/^[ \t]+[0-9a-f]+ / { f[++nf] = $2; sub(/\+0x[0-9a-f]+$/, "", f[nf]); next }
	END {
		flush()
		for (k in n) printf "%d %s\n", n[k], k
	}' | sort -rn | head -n 15 | awk -v ios="$1" '{
		c = $1; $1 = ""; sub(/^ /, "")
		printf "per_io=%.3f wakeup=%s\n", (ios > 0 ? c / ios : 0), $0
	}'
}

# perf_stat JOB T FIELD: "median min max" of FIELD (1 = iops, 2 = KiB/s)
# over the rounds of JOB on T.
perf_stat() {
	awk -v j="$1" -v t="$2" -v f="$3" '$1 == j && $2 == t { print $(3 + f) }' \
		$PERF_FIG | sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %d %d\n", m, v[1], v[NR]
	}'
}

# perf_per_io JOB T: per-I/O figures over every round of JOB on T (sums
# of the deltas over the sum of I/Os): cpu_us tx rx cmds cpu_user cpu_sys
# cpu_irq proc_user proc_sys proc_ctxt ctxt intr fab...
perf_per_io() {
	awk -v j="$1" -v t="$2" '$1 == j && $2 == t {
		ios += $6
		for (i = 7; i <= NF; i++) {
			if ($i == "-") na[i] = 1; else s[i] += $i
			if (i > n) n = i
		}
	} END {
		if (!ios) { print "-"; exit }
		for (i = 7; i <= n; i++) {
			if (na[i]) { printf "- "; continue }
			v = s[i] / ios
			# jiffies (USER_HZ 100) -> us: cpu, and the CPU split
			if (i == 7 || (i >= 11 && i <= 15)) v = v * 10000
			printf "%.2f ", v
		}
		print ""
	}' $PERF_FIG
}

# perf_ratio JOB T1 T2: the ratio of T1's median MiB/s (IOPS if there is
# no MiB/s) to T2's over the rounds of JOB, "-" when either is missing.
perf_ratio() {
	awk -v a="$(perf_stat "$1" "$2" 1 | cut -d' ' -f1)" \
		-v b="$(perf_stat "$1" "$3" 1 | cut -d' ' -f1)" \
		-v c="$(perf_stat "$1" "$2" 2 | cut -d' ' -f1)" \
		-v d="$(perf_stat "$1" "$3" 2 | cut -d' ' -f1)" 'BEGIN {
		if (a == "-" || b == "-" || !b) print "-"
		else printf "%.2f", (d > 0 && c != "-") ? c / d : a / b
	}'
}

perf_summary() {
	[ -s $PERF_FIG ] || return 0
	_pftg=$(perf_targets)
	report "INFO perf | job               | target | IOPS med (min-max)     | MiB/s med (min-max) | srptd/lio | CPU us/io | pkts tx/io rx/io | cmds/io"
	report "INFO perf |   srptd per I/O: send posts, send WRs, recv posts, recv WRs, CQ events, polls, completions, CQ arms; system calls (strace pass)"
	for _pfj in $(perf_jobs); do
		_pfn=${_pfj%%:*}
		_pfratio=$(perf_ratio "$_pfn" srptd lio)
		_pfratiob=$(perf_ratio "$_pfn" srptdb srptd)
		_pfline="INFO perf_job job=$_pfn"
		for _pft in $_pftg; do
			set -- $(perf_stat "$_pfn" $_pft 1) $(perf_stat "$_pfn" $_pft 2)
			_pfiops="$1 ($2-$3)"
			_pfmib=$(awk -v m="$4" -v a="$5" -v b="$6" 'BEGIN { printf "%.1f (%.1f-%.1f)", m / 1024, a / 1024, b / 1024 }')
			_pfline="$_pfline ${_pft}_iops_median=$1 ${_pft}_iops_min=$2 ${_pft}_iops_max=$3 ${_pft}_kibps_median=$4 ${_pft}_kibps_min=$5 ${_pft}_kibps_max=$6"
			set -- $(perf_per_io "$_pfn" $_pft)
			_pfline="$_pfline ${_pft}_cpu_us_per_io=$1 ${_pft}_sent_pkts_per_io=$2 ${_pft}_rcvd_pkts_per_io=$3 ${_pft}_cmds_per_io=$4"
			_pfline="$_pfline ${_pft}_cpu_user_us_per_io=$5 ${_pft}_cpu_sys_us_per_io=$6 ${_pft}_cpu_irq_us_per_io=$7 ${_pft}_proc_user_us_per_io=$8 ${_pft}_proc_sys_us_per_io=$9"
			_pfline="$_pfline ${_pft}_proc_ctxt_per_io=${10} ${_pft}_ctxt_per_io=${11} ${_pft}_intr_per_io=${12}"
			_pfrow=$(printf '%-17s | %-6s | %-22s | %-19s | %-9s | %-9s | %6s %6s     | %s' \
				"$_pfn" "$_pft" "$_pfiops" "$_pfmib" "$(case $_pft in srptd) echo "$_pfratio" ;; srptdb) echo "B/A $_pfratiob" ;; esac)" "$1" "$2" "$3" "$4")
			report "INFO perf | $_pfrow"
			_pffio=$(awk -v j="$_pfn" -v t="$_pft" '$1 == j && $2 == t {
				ios += $4; u += $5; s += $6 } END {
				if (ios) printf "%.2f %.2f", u * 10000 / ios, s * 10000 / ios
				else printf "- -" }' $PERF_FIO_FIG)
			_pfline="$_pfline ${_pft}_fio_user_us_per_io=${_pffio% *} ${_pft}_fio_sys_us_per_io=${_pffio#* }"
			report "INFO perf |   CPU us/io: user $5, system $6, irq+softirq $7$(perf_is_srptd $_pft && echo "; srptd's process: user $8, system $9, context switches/io ${10}"); fio's process: user ${_pffio% *}, system ${_pffio#* }; guest context switches/io ${11}, interrupts/io ${12}"
			if perf_is_srptd $_pft; then
				shift 12
				_pfk=1
				for _pfv in "$@"; do
					_pfkey=$(echo $PERF_FAB_KEYS | cut -d' ' -f$_pfk)
					_pfline="$_pfline ${_pft}_${_pfkey}_per_io=$_pfv"
					_pfk=$((_pfk + 1))
				done
				# the strace pass is of build A only
				_pfsc=
				[ $_pft = srptd ] && _pfsc=$(awk -v j="$_pfn" '$1 == j { print $2, $3 }' $PERF_STRACE_FIG)
				[ -n "$_pfsc" ] && _pfline="$_pfline srptd_${_pfsc%% *} srptd_syscalls_top=${_pfsc#* }"
				report "INFO perf |   $_pft per I/O: $* ; ${_pfsc:-no strace pass}"
			fi
		done
		[ "$_pfratio" = - ] || _pfline="$_pfline srptd_over_lio=$_pfratio"
		[ "$_pfratiob" = - ] || _pfline="$_pfline srptdb_over_srptd=$_pfratiob"
		report "$_pfline"
	done
	report "INFO perf | srptd/lio: ratio of the medians of MiB/s (= of IOPS: same job); B/A: srptdb (run.sh --srptd-b) over srptd. Guest time-shared with the host's load: compare within one run."
}

perf_teardown() {
	DEV=
	srp_logged_in && srp_logout
	for _pft in $(perf_targets); do
		[ $_pft = srptdb ] && continue # srptd itself, restarted
		. /vm/target-$_pft.sh
		target_stop
	done
	rm -rf $PERF_DIR
	echo 0 >/proc/sys/vm/nr_hugepages
}

# perf_pass NAME: check NAME-JOB-TARGET (perf_NAME TARGET JOB) for every
# job and target.
perf_pass() {
	for _pfj in $(perf_jobs); do
		for _pft in $(perf_targets); do
			run_check "$1-${_pfj%%:*}-$_pft" perf_with $_pft perf_$1 $_pft "$_pfj"
		done
	done
}

perf_checks() {
	PFX=perf/
	BROKEN=
	run_check setup perf_setup
	if [ "$CHECK_OK" = 1 ]; then
		_pfr=1
		while [ $_pfr -le "$PERF_ROUNDS" ]; do
			for _pfj in $(perf_jobs); do
				for _pft in $(perf_targets); do
					run_check "r$_pfr-${_pfj%%:*}-$_pft" perf_with $_pft perf_run $_pft "$_pfj" $_pfr
				done
			done
			_pfr=$((_pfr + 1))
		done
		if [ "$PERF_STRACE_SECONDS" -gt 0 ] && perf_targets | grep -qx srptd; then
			run_check strace-idle perf_strace_idle
			for _pfj in $(perf_jobs); do
				run_check "strace-${_pfj%%:*}" perf_strace "$_pfj"
			done
		fi
		[ "$PERF_PROFILE_SECONDS" -gt 0 ] && perf_pass profile
		[ "$PERF_WAKEUPS_SECONDS" -gt 0 ] && perf_pass wakeups
	fi
	perf_summary
	perf_teardown
	PFX=
}
