/* timeit.c: runs a command and prints its wall time in seconds (to the
 * microsecond) and its peak resident memory in KB, as "SECONDS KB", to the
 * file named by -o (or standard error). GNU time rounds to 10 ms, which is
 * too coarse for runs of a few tens of milliseconds.
 *
 *   timeit -o FILE COMMAND [ARG]...
 *
 * Exits with the command's status (128 + signal if it was killed), or 127
 * when it cannot be run.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *out = NULL;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
		out = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: timeit [-o FILE] COMMAND [ARG]...\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[i], argv + i);
		perror("timeit: exec");
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("timeit: wait4");
		return 127;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	FILE *f = out ? fopen(out, "w") : stderr;
	if (!f) {
		perror("timeit: output");
		return 127;
	}
	fprintf(f, "%.6f %ld\n", secs, ru.ru_maxrss);
	if (out)
		fclose(f);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
