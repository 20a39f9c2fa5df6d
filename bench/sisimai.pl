#!/usr/bin/perl
# sisimai.pl MBOX: decodes every bounce in MBOX with Sisimai (Debian's
# libsisimai-perl) and prints the number of records it gives, so that
# bench/run.sh can time it on the same input as dsnidx. Both leave out
# success notices by default.
use strict;
use warnings;
use Sisimai;

my $path = shift or die "usage: sisimai.pl MBOX\n";
my $records = Sisimai->make($path) || [];
printf "%d\n", scalar @$records;
