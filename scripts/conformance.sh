#!/bin/sh
# conformance.sh [--floor FILE] CORPUS: agreement of dsnidx with a corpus of
# real bounces whose expected results are known.
#
# CORPUS holds eml/*.eml and expected.tsv with the columns file, index,
# status, replycode, reason, hardbounce (a header row first; an empty field
# means the bounce carries no such value). Every sample is decoded with
# `dsnidx parse --delivered` and compared recipient by recipient: the
# index is the recipient's order in the file (a file may hold several
# messages), as in expected.tsv.
#
# Prints the agreement per field (over the expected recipients), the
# recipients found (precision and recall by index), and every disagreement
# as: file, index, field, expected, got. With --floor FILE (lines "FIELD
# PERCENT"), exits 1 when a field falls below its floor.
set -u
floor=
if [ "${1:-}" = --floor ]; then
	floor=$2
	shift 2
fi
corpus=${1:?usage: conformance.sh [--floor FILE] CORPUS}
DSNIDX=${DSNIDX:-build/dsnidx}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# One line per record: file<TAB>index<TAB>status<TAB>reply<TAB>reason<TAB>hard
"$DSNIDX" parse --quiet --delivered --format jsonl "$corpus"/eml > "$tmp/got.jsonl" 2> "$tmp/stderr"
sed -e 's/^{"source":"\([^"]*\)","offset":[0-9]*,"index":\([0-9]*\),.*"status":"\([^"]*\)","reply_code":\([0-9a-z]*\),"reason":"\([^"]*\)","hard_bounce":\([01]\),.*/\1	\2	\3	\4	\5	\6/' \
	-e 's/	null	/		/' "$tmp/got.jsonl" |
	awk -F'\t' 'BEGIN{OFS="\t"} {n=split($1, p, "/"); $1=p[n]; $2=++seen[$1]; print}' > "$tmp/got.tsv"
tail -n +2 "$corpus/expected.tsv" > "$tmp/want.tsv"

awk -F'\t' -v floorfile="$floor" -v undecoded="$(grep -c 'undecoded' "$tmp/stderr")" '
FILENAME == ARGV[1] { key = $1 SUBSEP $2; got[key] = $0; gs[key] = $3; gr[key] = $4; gn[key] = $5; gh[key] = $6; ngot++; next }
{
	key = $1 SUBSEP $2; want++
	if (!(key in got)) { missing++; print "MISSING  " $1 " #" $2 ": expected " $3 " " $4 " " $5 " " $6; next }
	found++
	seen[key] = 1
	if (gs[key] == $3) s_ok++; else print "status   " $1 " #" $2 ": expected [" $3 "] got [" gs[key] "]"
	if (gr[key] == $4) r_ok++; else print "reply    " $1 " #" $2 ": expected [" $4 "] got [" gr[key] "]"
	if (gn[key] == $5) n_ok++; else print "reason   " $1 " #" $2 ": expected [" $5 "] got [" gn[key] "]"
	if (gh[key] == $6) h_ok++; else print "hard     " $1 " #" $2 ": expected [" $6 "] got [" gh[key] "]"
}
END {
	for (k in got) if (!(k in seen)) { split(k, p, SUBSEP); extra++; print "EXTRA    " p[1] " #" p[2] }
	pct["status"] = 100 * s_ok / want; pct["reply_code"] = 100 * r_ok / want
	pct["reason"] = 100 * n_ok / want; pct["hard_bounce"] = 100 * h_ok / want
	pct["recall"] = 100 * found / want; pct["precision"] = ngot ? 100 * found / ngot : 0
	printf "\nconformance over %d expected recipients (%d records, %d undecoded messages):\n", want, ngot, undecoded
	printf "  status      %6.2f%%  (%d)\n", pct["status"], s_ok
	printf "  reply_code  %6.2f%%  (%d)\n", pct["reply_code"], r_ok
	printf "  reason      %6.2f%%  (%d)\n", pct["reason"], n_ok
	printf "  hard_bounce %6.2f%%  (%d)\n", pct["hard_bounce"], h_ok
	printf "  recipients  precision %.2f%%, recall %.2f%% (%d missing, %d extra)\n", pct["precision"], pct["recall"], missing, extra
	bad = 0
	if (floorfile != "") {
		while ((getline line < floorfile) > 0) {
			if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
			split(line, f, /[ \t]+/)
			if (!(f[1] in pct)) { printf "floor: unknown field %s\n", f[1]; bad = 1; continue }
			if (pct[f[1]] + 1e-9 < f[2]) { printf "BELOW FLOOR: %s %.2f%% < %s%%\n", f[1], pct[f[1]], f[2]; bad = 1 }
		}
		if (!bad) print "all fields at or above the floors in " floorfile
	}
	exit bad
}' "$tmp/got.tsv" "$tmp/want.tsv"
