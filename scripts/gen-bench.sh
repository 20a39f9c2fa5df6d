#!/bin/sh
# gen-bench.sh OUTDIR [BOUNCE_SIZE] [MIXED_SIZE]: writes the benchmark inputs
# into OUTDIR, deterministically, from the project's corpus/:
#
#   bounces.mbox   every message a bounce (BOUNCE_SIZE, default 100M)
#   mixed.mbox     20% bounces, the rest ordinary mail, a third of it with
#                  base64 attachments (MIXED_SIZE, default 300M)
#   mixed.mbox.zst the same, compressed with zstd -3
#   mixed2.mbox    twice the size of mixed.mbox (for memory growth)
#   maillog        a Postfix log of MAILLOG_LINES lines (default 3000000),
#                  mostly successful deliveries (scripts/genmaillog.c)
#
# Files that exist with the same size arguments are kept (a stamp records
# them). Needs cc and zstd; built here, nothing is downloaded.
set -eu
out=${1:?usage: gen-bench.sh OUTDIR [BOUNCE_SIZE] [MIXED_SIZE]}
bsize=${2:-100M}
msize=${3:-300M}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
stamp="$out/.stamp"
lines=${MAILLOG_LINES:-3000000}
# Templates: each sample bounce with the recipients its expected records
# name. The inputs are made again when the samples change.
sh "$top/scripts/templates.sh" "$top/corpus" > "$out/templates.new"
want="genmbox $(cksum < "$top/scripts/genmbox.c") $(cksum < "$top/scripts/genmaillog.c") $(cksum < "$out/templates.new") $bsize $msize $lines"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$out/mixed.mbox.zst" ] && [ -f "$out/maillog" ]; then
	rm -f "$out/templates.new"
	echo "gen-bench: inputs in $out are up to date"
	exit 0
fi

cc -O2 -std=c17 -D_DEFAULT_SOURCE -o "$out/genmbox" "$top/scripts/genmbox.c"

mv "$out/templates.new" "$out/templates"

double=$(echo "$msize" | awk '{ n = $0 + 0; u = substr($0, length($0)); if (u ~ /[0-9]/) u = ""; print 2 * n u }')
"$out/genmbox" -s "$bsize" -b 100 -r 1 "$out/templates" > "$out/bounces.mbox"
"$out/genmbox" -s "$msize" -b 20 -a 33 -r 2 "$out/templates" > "$out/mixed.mbox"
"$out/genmbox" -s "$double" -b 20 -a 33 -r 3 "$out/templates" > "$out/mixed2.mbox"
zstd -q -f -3 "$out/mixed.mbox" -o "$out/mixed.mbox.zst"
cc -O2 -std=c17 -D_DEFAULT_SOURCE -o "$out/genmaillog" "$top/scripts/genmaillog.c"
"$out/genmaillog" -l "$lines" -r 1 > "$out/maillog"
echo "$want" > "$stamp"
ls -l "$out"/*.mbox "$out"/*.zst "$out/maillog"
