#!/bin/sh
# templates.sh CORPUS_DIR: the lines scripts/genmbox.c takes, one per sample
# bounce of the corpus: its path and the recipients its expected records
# name, tab-separated.
set -eu
corpus=${1:?usage: templates.sh CORPUS_DIR}
for exp in "$corpus"/expected/*.eml.jsonl; do
	[ -s "$exp" ] || continue
	name=$(basename "$exp" .jsonl)
	rcpts=$(sed -n 's/.*"recipient":"\([^"]*\)".*/\1/p' "$exp" | sort -u | tr '\n' '\t')
	printf '%s\t%s\n' "$corpus/mail/$name" "$rcpts"
done
