#!/bin/sh
# valgrind.sh: stands in for dsnidx in the end-to-end tests (make
# valgrind-check) and runs it under valgrind's memcheck. An error, or a
# definite leak, is written to $VALGRIND_LOGS/vg.PID and makes the exit
# status 99, which no test expects. Only those are written: a run that a
# closed pipe ends ("| head -n 4") leaves SQLite's blocks in use, which
# memcheck would list as possibly lost. Rules are matched without PCRE2's JIT
# (DSNIDX_NO_JIT), whose code valgrind cannot follow.
: "${VALGRIND_DSNIDX:?}" "${VALGRIND_LOGS:?}"
DSNIDX_NO_JIT=1 exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--suppressions="$(dirname "$0")/../valgrind.supp" --log-file="$VALGRIND_LOGS/vg.%p" \
	"$VALGRIND_DSNIDX" "$@"
