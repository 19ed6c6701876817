/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The cost of a context switch between two threads of one process and
 * between two processes, measured as a one-byte ping-pong over two pipes
 * with both ends on one CPU, so that every hand-over is a switch
 * (bench/vm-switch-cost.sh runs it in the VM rig).  Under QEMU's TCG a
 * switch of address space (a CR3 load) drops the emulated TLB, which a
 * kernel target's threads never do: doc/performance.md "Context switches
 * under TCG".
 *
 * Usage: srptd-switch-cost threads|processes [ROUND_TRIPS]
 * Prints: "<mode>: <us> us per round trip (<n> round trips)".
 */
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];
static long rounds;

/* The far end: echo each byte back. */
static void *echo(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < rounds; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			exit(1);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t thread;
	pid_t pid = 0;
	bool procs;
	char c = 0;
	double us;

	if (argc < 2 ||
	    (strcmp(argv[1], "threads") && strcmp(argv[1], "processes"))) {
		fprintf(stderr, "usage: %s threads|processes [ROUND_TRIPS]\n",
			argv[0]);
		return 2;
	}
	procs = !strcmp(argv[1], "processes");
	rounds = argc > 2 ? atol(argv[2]) : 20000;
	if (rounds <= 0 || pipe(ping) || pipe(pong)) {
		fprintf(stderr, "%s: bad count or no pipes\n", argv[0]);
		return 1;
	}
	if (procs) {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (!pid) {
			echo(NULL);
			_exit(0);
		}
	} else if (pthread_create(&thread, NULL, echo, NULL)) {
		fprintf(stderr, "%s: no thread\n", argv[0]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (procs)
		waitpid(pid, NULL, 0);
	else
		pthread_join(thread, NULL);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	      (double)(t1.tv_nsec - t0.tv_nsec)) /
	     (double)rounds / 1000.0;
	printf("%s: %.1f us per round trip (%ld round trips)\n", argv[1], us,
	       rounds);
	return 0;
}
