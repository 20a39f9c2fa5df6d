#!/bin/sh
# sisimai.sh CORPUS: checks dsnidx on the shared corpus of real bounces.
#
# CORPUS holds eml/*.eml, mbox-0 and expected.tsv (file, index, status,
# reply code, reason, hard bounce). The data is not in the repository and
# not on users' machines; `make test` runs this only where it exists.
#
# Checks: every sample and the mbox are read and decoded without error
# (exit status 0, nothing on stderr), and every recipient of the RFC 3464
# samples gets the expected status. Field-by-field agreement over all
# samples is `make conformance`'s job.
set -u
corpus=${1:?usage: sisimai.sh CORPUS}
DSNIDX=${DSNIDX:-build/dsnidx}
case $DSNIDX in /*) ;; *) DSNIDX=$(pwd)/$DSNIDX ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0
samples=0
errors=0

for f in "$corpus"/eml/*.eml "$corpus"/mbox-0; do
	[ -f "$f" ] || continue
	samples=$((samples + 1))
	"$DSNIDX" parse --delivered --format csv "$f" > /dev/null 2> "$tmp/err"
	st=$?
	if [ $st -ne 0 ] || [ -s "$tmp/err" ]; then
		errors=$((errors + 1))
		echo "FAIL $(basename "$f") exit $st: $(head -n 1 "$tmp/err")"
	fi
done
echo "sisimai: $((samples - errors)) of $samples samples decoded without error"
[ $errors -eq 0 ] || failed=1

# The same samples saved with CRLF and with bare CR line endings give
# exactly the same records (but for the source and the byte offsets).
mkdir -p "$tmp/lf" "$tmp/crlf" "$tmp/cr"
for f in "$corpus"/eml/*.eml; do
	b=$(basename "$f")
	tr -d '\r' < "$f" > "$tmp/lf/$b"
	sed 's/$/\r/' "$tmp/lf/$b" > "$tmp/crlf/$b"
	tr '\n' '\r' < "$tmp/lf/$b" > "$tmp/cr/$b"
done
for v in lf crlf cr; do
	(cd "$tmp/$v" && "$DSNIDX" parse --quiet --delivered --format jsonl . 2> /dev/null |
		sed 's/^{"source":"[^"]*","offset":[0-9]*,/{/') > "$tmp/$v.jsonl"
done
# Whatever the charsets and damage in the samples, the output is UTF-8.
if iconv -f UTF-8 -t UTF-8 < "$tmp/lf.jsonl" > /dev/null 2>&1; then
	echo "sisimai: the records of every sample are valid UTF-8"
else
	echo "FAIL the records are not valid UTF-8"
	failed=1
fi
for v in crlf cr; do
	if cmp -s "$tmp/lf.jsonl" "$tmp/$v.jsonl"; then
		echo "sisimai: $v copies give the same $(wc -l < "$tmp/lf.jsonl") records as LF"
	else
		echo "FAIL $v copies differ from LF:"
		diff "$tmp/lf.jsonl" "$tmp/$v.jsonl" | head -n 10
		failed=1
	fi
done

# Archived and compressed, the samples give the same records. The archives
# are built by tests/tools/mkarchive (libarchive), at test time.
MKARCHIVE=${MKARCHIVE:-build/tests/mkarchive}
case $MKARCHIVE in /*) ;; *) MKARCHIVE=$(pwd)/$MKARCHIVE ;; esac
if [ -x "$MKARCHIVE" ]; then
	(cd "$tmp/lf" && "$DSNIDX" parse --quiet --delivered --format jsonl . 2> /dev/null |
		sed 's/^{"source":"\.\//{"source":"/' | sort) > "$tmp/loose.jsonl"
	for form in "tar none" "tar gzip" "tar bzip2" "tar xz" "tar lz4" "tar zstd" "zip none" "7z none" "cpio none"; do
		set -- $form
		"$MKARCHIVE" "$1" "$2" "$tmp/eml.$1.$2" -C "$tmp/lf" $(cd "$tmp/lf" && ls)
		"$DSNIDX" parse --quiet --delivered --format jsonl "$tmp/eml.$1.$2" 2> /dev/null |
			sed "s|^{\"source\":\"$tmp/eml.$1.$2:|{\"source\":\"|" | sort > "$tmp/arch.jsonl"
		if cmp -s "$tmp/loose.jsonl" "$tmp/arch.jsonl"; then
			echo "sisimai: a $1 archive ($2) of the samples gives the same $(wc -l < "$tmp/loose.jsonl") records"
		else
			echo "FAIL a $1 archive ($2) of the samples gives other records:"
			diff "$tmp/loose.jsonl" "$tmp/arch.jsonl" | head -n 6
			failed=1
		fi
	done
	# Nested: each sample gzip'd, in a tar.xz; that in a zip, read from stdin.
	mkdir -p "$tmp/gz"
	for f in $(cd "$tmp/lf" && ls); do "$MKARCHIVE" raw gzip "$tmp/gz/$f" -C "$tmp/lf" "$f"; done
	"$MKARCHIVE" tar xz "$tmp/gz.tar.xz" -C "$tmp/gz" $(cd "$tmp/gz" && ls)
	"$MKARCHIVE" zip none "$tmp/outer.zip" -C "$tmp" gz.tar.xz
	"$DSNIDX" parse --quiet --delivered --format jsonl - < "$tmp/outer.zip" 2> /dev/null |
		sed 's|^{"source":"-:gz.tar.xz:|{"source":"|' | sort > "$tmp/arch.jsonl"
	if cmp -s "$tmp/loose.jsonl" "$tmp/arch.jsonl"; then
		echo "sisimai: gzip'd samples in a tar.xz in a zip, on standard input, give the same records"
	else
		echo "FAIL gzip'd samples in a tar.xz in a zip give other records:"
		diff "$tmp/loose.jsonl" "$tmp/arch.jsonl" | head -n 6
		failed=1
	fi
	"$DSNIDX" parse --quiet --delivered --format jsonl "$corpus/mbox-0" 2> /dev/null | sed 's/^{"source":"[^"]*",//' > "$tmp/m1"
	for filter in gzip bzip2 xz lz4 zstd lzip compress; do
		"$MKARCHIVE" raw $filter "$tmp/mbox-0.$filter" -C "$corpus" mbox-0
		"$DSNIDX" parse --quiet --delivered --format jsonl "$tmp/mbox-0.$filter" 2> /dev/null | sed 's/^{"source":"[^"]*",//' > "$tmp/m2"
		if cmp -s "$tmp/m1" "$tmp/m2"; then echo "sisimai: mbox-0 compressed with $filter gives the same $(wc -l < "$tmp/m1") records"; else echo "FAIL mbox-0 compressed with $filter differs"; failed=1; fi
	done
fi

# Statuses of the RFC 3464 samples, recipient by recipient, in order.
checked=0
wrong=0
for f in "$corpus"/eml/rfc3464-*.eml; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	awk -F'\t' -v f="$name" '$1 == f { print $2 " " $3 }' "$corpus/expected.tsv" > "$tmp/want"
	"$DSNIDX" parse --delivered --format jsonl "$f" 2> /dev/null |
		sed -n 's/.*"index":\([0-9]*\),.*"status":"\([^"]*\)".*/\1 \2/p' > "$tmp/got"
	checked=$((checked + 1))
	if ! cmp -s "$tmp/want" "$tmp/got"; then
		wrong=$((wrong + 1))
		echo "FAIL $name status: expected [$(tr '\n' ' ' < "$tmp/want")] got [$(tr '\n' ' ' < "$tmp/got")]"
	fi
done
echo "sisimai: $((checked - wrong)) of $checked RFC 3464 samples give the expected status"
[ $wrong -eq 0 ] || failed=1
exit $failed
