/* container.h: what a stream holds, and the streams inside it.
 *
 * Mail after an outage comes as whatever the backup made: a gzip'd mbox, a
 * tar of Maildirs, a zip of .eml files, a tar holding mbox.zst files. This
 * module tells them apart by content (magic numbers, never file names) and
 * opens them as streams in turn:
 *   - zstd, through libzstd's streaming API (the fast path);
 *   - gzip, bzip2, xz, lz4, lzip, compress (.Z), through libarchive's
 *     filters;
 *   - tar (any of those compressions), zip, cpio, and 7z through
 *     libarchive, member by member.
 * Nothing is read whole and nothing is written to disk: a member is read
 * while the archive is read. The exception is 7z, whose index is at the
 * end: it is read from its file when it is a regular file, and otherwise
 * (a pipe, a member of another archive) held in memory up to a limit.
 *
 * On bad input: a corrupt or truncated stream makes the read that meets it
 * fail with a message saying what failed (the data before it was read); an
 * archive that cannot go on makes dx_archive_next() fail the same way.
 */
#ifndef DX_CONTAINER_H
#define DX_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"

typedef enum dx_kind {
	DX_KIND_PLAIN,       /* mail: an mbox or a message */
	DX_KIND_ZSTD,        /* a zstd stream */
	DX_KIND_COMPRESSED,  /* gzip, bzip2, xz, lz4, lzip, compress */
	DX_KIND_ARCHIVE,     /* tar, zip, cpio */
	DX_KIND_7Z           /* 7z: an archive that needs to seek */
} dx_kind;

/* What the stream holds, from its first bytes (not consumed); -1 when they
 * cannot be read (message in err). */
int dx_stream_kind(dx_stream *s, char *err, size_t errsz);
/* The name of a kind, for messages ("gzip", "zstd", "tar"...): the format
 * as libarchive or the magic number says. */
const char *dx_kind_name(dx_stream *s, dx_kind kind);

/* How far decompression may go, per compressed stream and per archive
 * member: past max_expanded bytes out, or, once past DX_RATIO_FLOOR bytes,
 * more than max_ratio bytes out per byte in, the stream stops with a limit
 * error (its read returns -2: dx_stream_limited()). 0: no limit. */
typedef struct dx_expand_limits {
	uint64_t max_expanded;
	uint64_t max_ratio;
} dx_expand_limits;

#define DX_RATIO_FLOOR ((uint64_t)1 << 30)

/* A stream of the decompressed bytes of s, which it takes over (closed with
 * it, or at once on failure). NULL with a message on failure. */
dx_stream *dx_decompress(dx_stream *s, dx_kind kind, const dx_expand_limits *lim, char *err, size_t errsz);

typedef struct dx_archive dx_archive;

/* Opens the archive in s, which it takes over. NULL with a message, and
 * *too_big set when the reason is a 7z larger than max_7z_memory that had
 * to be held in memory (it did not come from a regular file). */
dx_archive *dx_archive_open(dx_stream *s, dx_kind kind, uint64_t max_7z_memory, const dx_expand_limits *lim,
			    int *too_big, char *err, size_t errsz);
/* The next member worth reading (regular files; not the Maildir tmp/ of a
 * Maildir seen in the archive, not macOS resource-fork clutter): 1 with its
 * path and a stream of its bytes, to be closed before the next call; 0 at
 * the end, or after a member whose data was damaged (its reads said so);
 * -1 with a message when the archive cannot be read further. */
int dx_archive_next(dx_archive *ar, const char **path, dx_stream **member, char *err, size_t errsz);
/* The modification time of the member dx_archive_next gave (UTC seconds),
 * or INT64_MIN when the archive does not say. */
int64_t dx_archive_mtime(const dx_archive *ar);
void dx_archive_close(dx_archive *ar);

#endif
