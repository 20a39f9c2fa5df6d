/* bounded.c: runs a command with a time limit and reports what it cost,
 * for tests that must show an input ends in bounded time and memory
 * without depending on GNU time or coreutils' timeout.
 *
 *   bounded SECONDS REPORT COMMAND [ARG]...
 *
 * The command's standard streams are inherited. When it runs longer than
 * SECONDS it is killed (SIGKILL). REPORT gets one line:
 *
 *   exit=N signal=S timedout=0|1 seconds=F maxrss_kb=K
 *
 * (exit -1 when it was killed by a signal). Exits 0 when the command was
 * run, 2 on a usage or system error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bounded SECONDS REPORT COMMAND [ARG]...\n");
		return 2;
	}
	double limit = atof(argv[1]);
	double start = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	int status = 0, timedout = 0;
	struct rusage ru = {0};
	for (;;) {
		pid_t got = wait4(pid, &status, WNOHANG, &ru);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR) {
			perror("wait4");
			return 2;
		}
		if (!timedout && now() - start > limit) {
			kill(pid, SIGKILL);
			timedout = 1;
		}
		usleep(10000);
	}
	FILE *r = fopen(argv[2], "w");
	if (!r) {
		perror(argv[2]);
		return 2;
	}
	fprintf(r, "exit=%d signal=%d timedout=%d seconds=%.2f maxrss_kb=%ld\n",
		WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0, timedout,
		now() - start, ru.ru_maxrss);
	fclose(r);
	return 0;
}
