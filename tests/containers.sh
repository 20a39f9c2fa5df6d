#!/bin/sh
# containers.sh: the project corpus archived and compressed in every form
# dsnidx reads gives exactly the records of the loose files; truncated and
# corrupt copies end with exit status 1 and a message naming the input,
# with the records read before the damage kept.
#
# The forms are built at test time by tests/tools/mkarchive (libarchive),
# so no archiver tool is needed. Records are compared as JSON Lines with
# the source name mapped back to the loose file's and sorted, since an
# archive keeps its own member order.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
DSNIDX=$(abs "${DSNIDX:-build/dsnidx}")
MKARCHIVE=$(abs "${MKARCHIVE:-build/tests/mkarchive}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/     /' | head -n 20; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff "$2" "$3" | head -n 20)"; fi; }

cd "$top/corpus" || exit 1
"$DSNIDX" parse --format jsonl mail | sort > "$tmp/loose.jsonl"
n_loose=$(wc -l < "$tmp/loose.jsonl")
[ "$n_loose" -gt 0 ] || not_ok "the loose corpus gives records"

# parse_as NAME PREFIX SUFFIX FILE...: records of the files, with PREFIX
# removed from the front of each source and SUFFIX from its end, sorted.
parse_as() {
	name=$1 prefix=$2 suffix=$3
	shift 3
	"$DSNIDX" parse --format jsonl "$@" 2> "$tmp/err" |
		awk -v p="$prefix" -v s="$suffix" '{
			i = index($0, "\"source\":\"") + 10; j = index($0, "\",\"offset\"");
			src = substr($0, i, j - i)
			if (p != "" && substr(src, 1, length(p)) == p) src = substr(src, length(p) + 1)
			if (s != "" && substr(src, length(src) - length(s) + 1) == s) src = substr(src, 1, length(src) - length(s))
			print substr($0, 1, i - 1) src substr($0, j)
		}' | sort > "$tmp/got.jsonl"
	if [ -s "$tmp/err" ]; then not_ok "$name: nothing on stderr" "$(cat "$tmp/err")"; fi
	same "$name gives the records of the loose files" "$tmp/loose.jsonl" "$tmp/got.jsonl"
}

# ---- single compressed files --------------------------------------------------
for filter in gzip bzip2 xz lz4 zstd lzip compress; do
	case $filter in gzip) ext=.gz ;; bzip2) ext=.bz2 ;; xz) ext=.xz ;; lz4) ext=.lz4 ;; zstd) ext=.zst ;; lzip) ext=.lz ;; compress) ext=.Z ;; esac
	rm -rf "$tmp/single"
	(cd mail && find . -type f) | while read -r f; do
		mkdir -p "$tmp/single/mail/$(dirname "$f")"
		"$MKARCHIVE" raw $filter "$tmp/single/mail/$f$ext" -C mail "$f" || echo "mkarchive failed: $f" >&2
	done
	(cd "$tmp/single" && parse_as "every file compressed with $filter" "" "$ext" mail)
done

# ---- archives, with every compression ----------------------------------------------
for form in "tar none" "tar gzip" "tar bzip2" "tar xz" "tar lz4" "tar zstd" "zip none" "7z none" "cpio none"; do
	set -- $form
	out="$tmp/mail.$1.$2"
	"$MKARCHIVE" "$1" "$2" "$out" mail
	parse_as "$1 archive ($2)" "$out:" "" "$out"
done

# ---- nested containers ----------------------------------------------------------------
# A tar.xz holding the corpus's files each compressed with gzip.
rm -rf "$tmp/nest" && mkdir -p "$tmp/nest"
(cd mail && find . -type f) | while read -r f; do
	mkdir -p "$tmp/nest/mail/$(dirname "$f")"
	"$MKARCHIVE" raw gzip "$tmp/nest/mail/$f.gz" -C mail "$f"
done
"$MKARCHIVE" tar xz "$tmp/gzfiles.tar.xz" -C "$tmp/nest" mail
parse_as "a tar.xz of gzip'd files" "$tmp/gzfiles.tar.xz:" ".gz" "$tmp/gzfiles.tar.xz"
# A zip (holding the Maildir and all) inside a tar.gz inside a tar.zst.
"$MKARCHIVE" zip none "$tmp/inner.zip" mail
"$MKARCHIVE" tar gzip "$tmp/middle.tar.gz" -C "$tmp" inner.zip
"$MKARCHIVE" tar zstd "$tmp/outer.tar.zst" -C "$tmp" middle.tar.gz
parse_as "a zip in a tar.gz in a tar.zst" "$tmp/outer.tar.zst:middle.tar.gz:inner.zip:" "" "$tmp/outer.tar.zst"
"$DSNIDX" parse --max-nesting 2 "$tmp/outer.tar.zst" > "$tmp/out.csv" 2> "$tmp/err"
st=$?
# zstd and tar are two layers; the gzip inside is the third.
if [ $st -eq 0 ] && grep -q "warning: .*outer.tar.zst:middle.tar.gz: .*max_nesting (2)" "$tmp/err" &&
	[ "$(wc -l < "$tmp/out.csv")" -eq 1 ]; then
	ok "--max-nesting skips deeper containers with a warning naming them"
else
	not_ok "--max-nesting skips deeper containers with a warning naming them" "exit $st: $(cat "$tmp/err")"
fi
# A 7z inside a tar: held in memory (7z cannot be streamed), within its limit.
"$MKARCHIVE" tar gzip "$tmp/with7z.tar.gz" -C "$tmp" mail.7z.none
parse_as "a 7z inside a tar.gz" "$tmp/with7z.tar.gz:mail.7z.none:" "" "$tmp/with7z.tar.gz"
"$DSNIDX" parse --max-7z-memory 1K "$tmp/with7z.tar.gz" > "$tmp/out.csv" 2> "$tmp/err"
st=$?
if [ $st -eq 0 ] && grep -q "warning: .*with7z.tar.gz:mail.7z.none: 7z: .*larger than max_7z_memory (1024 bytes)" "$tmp/err"; then
	ok "--max-7z-memory skips a larger 7z with a warning naming it"
else
	not_ok "--max-7z-memory skips a larger 7z with a warning naming it" "exit $st: $(cat "$tmp/err")"
fi

# ---- standard input ----------------------------------------------------------------------
for f in "$tmp/mail.tar.zstd" "$tmp/mail.zip.none" "$tmp/mail.cpio.none"; do
	"$DSNIDX" parse --format jsonl - < "$f" 2> "$tmp/err" |
		sed 's/^{"source":"-:/{"source":"/' | sort > "$tmp/got.jsonl"
	same "standard input: $(basename "$f")" "$tmp/loose.jsonl" "$tmp/got.jsonl"
done
cat "$tmp/mail.7z.none" | "$DSNIDX" parse --format jsonl - 2> "$tmp/err" | sed 's/^{"source":"-:/{"source":"/' | sort > "$tmp/got.jsonl"
same "7z through a pipe (held in memory)" "$tmp/loose.jsonl" "$tmp/got.jsonl"
"$DSNIDX" parse --format jsonl - < "$tmp/mail.7z.none" 2> /dev/null | sed 's/^{"source":"-:/{"source":"/' | sort > "$tmp/got.jsonl"
same "7z on standard input redirected from a file" "$tmp/loose.jsonl" "$tmp/got.jsonl"

# ---- damage ----------------------------------------------------------------------------------
# A copy cut at 60%: exit 1, a message naming it, the records before kept.
for f in mail.tar.none mail.tar.gzip mail.tar.bzip2 mail.tar.xz mail.tar.lz4 mail.tar.zstd mail.zip.none mail.7z.none mail.cpio.none; do
	size=$(wc -c < "$tmp/$f")
	head -c $((size * 6 / 10)) "$tmp/$f" > "$tmp/cut-$f"
	"$DSNIDX" parse --format jsonl "$tmp/cut-$f" > "$tmp/got.jsonl" 2> "$tmp/err"
	st=$?
	if [ $st -eq 1 ] && grep -q "cut-$f" "$tmp/err"; then
		ok "truncated $f: exit 1 and a message naming it ($(head -n 1 "$tmp/err" | sed 's/.*: //'))"
	else
		not_ok "truncated $f: exit 1 and a message naming it" "exit $st: $(cat "$tmp/err")"
	fi
	case $f in
	*.zstd | *.xz | *.bzip2 | *.lz4 | *.7z.none) ;; # block-compressed: the cut may fall in the first block
	*)
		if [ "$(wc -l < "$tmp/got.jsonl")" -gt 0 ]; then ok "truncated $f: records before the damage kept"; else not_ok "truncated $f: records before the damage kept"; fi ;;
	esac
done
# A single compressed mbox cut short: the messages before the cut are kept.
# Decompressors hand out whole blocks (bzip2's are 900 KB; libarchive's
# filters fill 64 KB and drop the one being filled when the input ends), so
# the mbox is made larger than a few blocks, with a header field of random
# text in each message so that it does not compress to nothing.
for round in 1 2 3 4; do
	for f in mail/*.eml; do
		echo "From MAILER-DAEMON Thu Jan  1 00:00:00 2026"
		printf 'X-Noise: %s\n' "$(head -c 6000 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		sed 's/^From />From /' "$f"
		echo
	done
done > "$tmp/big.mbox"
"$DSNIDX" parse --format jsonl "$tmp/big.mbox" 2> /dev/null | sed 's/^{"source":"[^"]*"//' > "$tmp/big.jsonl"
whole=$(wc -l < "$tmp/big.jsonl")
for filter in gzip bzip2 xz zstd; do
	"$MKARCHIVE" raw $filter "$tmp/big.mbox.$filter" -C "$tmp" big.mbox
	size=$(wc -c < "$tmp/big.mbox.$filter")
	head -c $((size * 7 / 10)) "$tmp/big.mbox.$filter" > "$tmp/cut-big.mbox.$filter"
	"$DSNIDX" parse --format jsonl "$tmp/cut-big.mbox.$filter" > "$tmp/got.jsonl" 2> "$tmp/err"
	st=$?
	if [ $st -eq 1 ] && grep -q "cut-big.mbox.$filter" "$tmp/err"; then ok "a truncated mbox ($filter): exit 1 and a message naming it"; else not_ok "a truncated mbox ($filter): exit 1 and a message naming it" "exit $st: $(cat "$tmp/err")"; fi
	kept=$(wc -l < "$tmp/got.jsonl")
	# The records kept are the first ones of the whole mbox, in order (the
	# last may come from the message the cut fell in, so it is not compared).
	sed 's/^{"source":"[^"]*"//' "$tmp/got.jsonl" | head -n $((kept - 1)) > "$tmp/got-head"
	head -n $((kept - 1)) "$tmp/big.jsonl" > "$tmp/want-head"
	if [ "$kept" -gt 1 ] && [ "$kept" -lt "$whole" ] && cmp -s "$tmp/got-head" "$tmp/want-head"; then
		ok "a truncated mbox ($filter): the first $kept of $whole records kept"
	else
		not_ok "a truncated mbox ($filter) keeps the records before the cut" "kept $kept of $whole; $(diff "$tmp/got-head" "$tmp/want-head" | head -n 5)"
	fi
done

# ---- told apart by content, not by name -------------------------------------------------
cp "$tmp/mail.tar.gzip" "$tmp/misnamed.eml"
parse_as "a tar.gz named .eml" "$tmp/misnamed.eml:" "" "$tmp/misnamed.eml"
cp "$tmp/mail.zip.none" "$tmp/misnamed.tar.xz"
parse_as "a zip named .tar.xz" "$tmp/misnamed.tar.xz:" "" "$tmp/misnamed.tar.xz"

# A corrupt zstd frame: the magic number, then a frame header that is not
# one (zstd frames need not carry a checksum, so damage to the data itself
# may go unseen; damage to the structure may not).
printf '\050\265\057\375\377\377\377\377\377\377\377\377' > "$tmp/bad.zst"
"$DSNIDX" parse "$tmp/bad.zst" "$top/corpus/mail/postfix-userunknown.eml" > "$tmp/out.csv" 2> "$tmp/err"
st=$?
if [ $st -eq 1 ] && grep -q "bad.zst.*zstd" "$tmp/err"; then ok "a corrupt zstd frame is named, with what failed"; else not_ok "a corrupt zstd frame is named, with what failed" "exit $st: $(cat "$tmp/err")"; fi
if grep -q "postfix-userunknown.eml" "$tmp/out.csv"; then ok "the other inputs are still read"; else not_ok "the other inputs are still read"; fi

echo "containers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
