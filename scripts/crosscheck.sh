#!/bin/sh
# crosscheck.sh: measures dsnidx on real bounces that are not the training
# corpus: the test data of two other bounce parsers, as Debian ships them.
# Nothing is copied into this repository; the files are fetched into
# build/crosscheck (network needed) and read from there.
#
#   - flufl.bounce (Mailman's bounce detectors), package python3-flufl.bounce:
#     113 bounces with the failed addresses its detectors must find
#     (testing/helpers.py, DATA). Scored: recipients precision and recall,
#     and whether each address is given as delayed or failed.
#   - Mail::DeliveryStatus::BounceParser, the source tarball of package
#     libmail-deliverystatus-bounceparser-perl: 126 messages in t/corpus
#     without a table of results. Compared with Perl Sisimai's recipients
#     when libsisimai-perl is installed; every message where the two
#     differ is listed, and the reasons of the recipients both find are
#     compared (Sisimai's are no ground truth: where the two disagree,
#     the project's definitions in docs/reasons.md decide). Auto-replies
#     and abuse reports are left out on both sides: they name no failed
#     recipient.
#
# Usage: DSNIDX=build/dsnidx sh scripts/crosscheck.sh   (or: make crosscheck)
set -eu
DSNIDX=${DSNIDX:-build/dsnidx}
DIR=${CROSSCHECK_DIR:-build/crosscheck}
POOL=${DEBIAN_POOL:-http://deb.debian.org/debian/pool/main}
mkdir -p "$DIR"

flufl="$DIR/flufl/usr/lib/python3/dist-packages/flufl/bounce"
if [ ! -d "$flufl/tests/data" ]; then
	(cd "$DIR" && apt-get download -q python3-flufl.bounce >/dev/null 2>&1) ||
		{ echo "crosscheck: could not fetch python3-flufl.bounce (apt-get download)" >&2; exit 1; }
	dpkg-deb -x "$DIR"/python3-flufl.bounce_*.deb "$DIR/flufl"
fi

bp_tar="$DIR/bounceparser.orig.tar.xz"
if [ ! -d "$DIR/bounceparser" ]; then
	v=$(apt-cache show libmail-deliverystatus-bounceparser-perl 2>/dev/null | sed -n 's/^Version: \(.*\)-[^-]*$/\1/p' | head -n 1)
	[ -n "$v" ] || { echo "crosscheck: no version of libmail-deliverystatus-bounceparser-perl known to apt" >&2; exit 1; }
	curl -sSf -o "$bp_tar" "$POOL/libm/libmail-deliverystatus-bounceparser-perl/libmail-deliverystatus-bounceparser-perl_$v.orig.tar.xz" ||
		{ echo "crosscheck: could not fetch the BounceParser source ($v)" >&2; exit 1; }
	mkdir -p "$DIR/bounceparser"
	tar xJf "$bp_tar" -C "$DIR/bounceparser"
fi
bp_corpus=$(find "$DIR/bounceparser" -type d -path '*/t/corpus' | head -n 1)

sisimai_out=
if perl -MSisimai -e 1 2>/dev/null; then
	sisimai_out="$DIR/sisimai.tsv"
	perl -MSisimai -e '
		for my $f (@ARGV) {
			my @r;
			eval { my $v = Sisimai->make($f) || []; push @r, lc($_->recipient->address) . "=" . $_->reason for grep { $_->reason !~ /^(?:vacation|feedback)$/ } @$v; };
			my %u; print join("\t", $f, join(",", sort grep { !$u{$_}++ } @r)), "\n";
		}' "$bp_corpus"/*.msg > "$sisimai_out" 2>/dev/null
fi

python3 scripts/crosscheck.py "$DSNIDX" "$flufl" "$bp_corpus" "$sisimai_out"
