#!/bin/sh
# fuzz.sh: builds the libFuzzer targets of tests/fuzz and runs each for
# FUZZ_TIME seconds, then prints executions, coverage and what was found.
# Called by `make fuzz`, which builds $FUZZ_DIR/libdsnidx.a with clang and
# the sanitizers first.
#
# Corpora live in $FUZZ_DIR/corpus/TARGET (kept between runs), seeded from
# corpus/mail and tests/fuzz/regress; crashes go to $FUZZ_DIR/crashes/TARGET.
set -eu
: "${FUZZ_DIR:?}" "${FUZZ_TIME:?}" "${FUZZ_TARGETS:?}"
top=$(pwd)
results="${FUZZ_RESULTS:-$FUZZ_DIR/results.txt}"
: > "$results"
for t in $FUZZ_TARGETS; do
	bin="$FUZZ_DIR/fuzz_$t"
	# shellcheck disable=SC2086
	clang $CFLAGS_FUZZ -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$bin" "tests/fuzz/fuzz_$t.c" "$FUZZ_DIR/libdsnidx.a" $LDLIBS_ALL
	corpus="$FUZZ_DIR/corpus/$t"
	crashes="$FUZZ_DIR/crashes/$t"
	mkdir -p "$corpus" "$crashes"
	if [ -z "$(ls -A "$corpus")" ]; then
		# Seeds: the project's samples; for the decoders, each sample once
		# per decoder (the first byte chooses it); for the classifier,
		# the texts of the expected records.
		case $t in
		decoders)
			i=0
			for f in corpus/mail/*.eml corpus/mail/*.mbox; do
				for d in 0 1 2 3 4 5 6; do
					i=$((i + 1))
					{ printf "\\$(printf %03o $d)"; cat "$f"; } > "$corpus/seed$i"
				done
			done ;;
		classify)
			i=0
			for f in corpus/expected/*.jsonl; do
				while IFS= read -r line; do
					i=$((i + 1))
					st=$(printf '%s' "$line" | sed -n 's/.*"status":"\([^"]*\)".*/\1/p')
					code=$(printf '%s' "$line" | sed -n 's/.*"reply_code":\([0-9]*\).*/\1/p')
					act=$(printf '%s' "$line" | sed -n 's/.*"action":"\([^"]*\)".*/\1/p')
					diag=$(printf '%s' "$line" | sed -n 's/.*"diagnostic":"\(\([^"\\]\|\\.\)*\)".*/\1/p')
					printf '%s\0%s\0%s\0%s\0' "$st" "$code" "$act" "$diag" > "$corpus/seed$i"
				done < "$f"
			done ;;
		container)
			# Every compression and archive format, small, from the samples
			# (tests/tools/mkarchive, built by make).
			make -s build/tests/mkarchive >&2
			mk=build/tests/mkarchive
			for c in gzip bzip2 xz lz4 zstd lzip compress; do
				$mk raw $c "$corpus/one.$c" -C corpus/mail postfix-userunknown.eml
			done
			for a in "tar none" "tar gzip" "tar zstd" "zip none" "7z none" "cpio none"; do
				set -- $a
				$mk "$1" "$2" "$corpus/few.$1.$2" -C corpus/mail postfix-userunknown.eml out-of-office.eml maildir
			done
			$mk tar xz "$FUZZ_DIR/inner.tar.xz" -C corpus/mail exim-quota.eml
			$mk zip none "$corpus/nested.zip" -C "$FUZZ_DIR" inner.tar.xz
			cp corpus/mail/mixed.mbox "$corpus/" ;;
		*)
			find corpus/mail corpus/logs -type f -exec cp {} "$corpus/" \; 2>/dev/null || true ;;
		esac
		[ -d "tests/fuzz/regress/$t" ] && cp tests/fuzz/regress/$t/* "$corpus/" 2>/dev/null || true
	fi
	echo "fuzz: $t for $FUZZ_TIME s" >&2
	log="$FUZZ_DIR/fuzz_$t.log"
	set +e
	timer=""
	[ -x /usr/bin/time ] && timer="/usr/bin/time -f %U+%S -o $FUZZ_DIR/fuzz_$t.cpu"
	$timer "$bin" "$corpus" -max_total_time="$FUZZ_TIME" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=8192 \
		-print_final_stats=1 -artifact_prefix="$crashes/" > "$log" 2>&1
	st=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | sed 's/ft: //')
	found=$(ls "$crashes" | wc -l)
	cpu=$( [ -f "$FUZZ_DIR/fuzz_$t.cpu" ] && tail -n 1 "$FUZZ_DIR/fuzz_$t.cpu" | awk -F+ '{ printf "%.1f", ($1 + $2) / 60 }' || echo "?")
	printf '%-10s %10s executions  %6s edges  %7s features  %s CPU-min  %s crash files  (exit %s)\n' \
		"$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$cpu" "$found" "$st" | tee -a "$results"
done
echo "fuzz: results in $results; crash inputs under $FUZZ_DIR/crashes/" >&2
