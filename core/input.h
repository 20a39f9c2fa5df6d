/* input.h: where messages come from.
 *
 * A dx_walk turns the paths a user gave into a sequence of sources, in a
 * stable order: a file is itself; a Maildir gives the files of cur/ and new/
 * (never tmp/, whose files are still being written), and its Maildir++
 * subfolders; any other directory is walked recursively with entries sorted
 * by name, hidden entries and symbolic links to directories skipped; "-" is
 * standard input.
 *
 * A dx_stream reads one source's bytes: a file, standard input, or (with
 * container.h) decompressed data or an archive member; callers only see
 * bytes.
 *
 * On bad input: a path that cannot be opened or read gives an error message
 * naming it, and the walk goes on with the next.
 */
#ifndef DX_INPUT_H
#define DX_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct dx_walk dx_walk;

dx_walk *dx_walk_new(const char *const *paths, size_t n);
void dx_walk_free(dx_walk *w);

/* Next source. Returns 1 with *path set (owned by the walk until the next
 * call; "-" for stdin), 0 at the end, or -1 with a message in err (the path
 * and why) for a path that cannot be walked; call again to go on. */
int dx_walk_next(dx_walk *w, const char **path, char *err, size_t errsz);

/* A source's bytes. Streams layer: a file's bytes, then a decompressor
 * over them, then an archive member over that (container.h). Every stream
 * can be peeked at before it is read, so that its content tells what it is. */
typedef struct dx_stream dx_stream;

typedef struct dx_stream_ops {
	/* Reads up to n bytes: the count, 0 at the end, -1 with a message, or
	 * -2 with a message when a limit (not damage) stops the stream. */
	ssize_t (*read)(void *impl, char *buf, size_t n, char *err, size_t errsz);
	void (*close)(void *impl);
} dx_stream_ops;

/* Opens a path ("-": standard input); NULL with a message in err. */
dx_stream *dx_stream_open(const char *path, char *err, size_t errsz);
/* A stream over any reader; `under`, if given, is closed with it. */
dx_stream *dx_stream_new(const dx_stream_ops *ops, void *impl, dx_stream *under);
/* Reads up to n bytes, filling the request unless the stream ends or
 * fails: the count, 0 at the end, -1 with a message in err. */
ssize_t dx_stream_read(dx_stream *s, char *buf, size_t n, char *err, size_t errsz);
/* The first bytes (up to n) without consuming them; *len gets how many
 * there are (fewer at a short stream). -1 on a read error. */
int dx_stream_peek(dx_stream *s, size_t n, const char **p, size_t *len, char *err, size_t errsz);
/* Whether the stream is a regular file that can seek (7z needs it), and
 * its file descriptor. */
int dx_stream_fd(const dx_stream *s);
/* Whether the stream failed because a limit stopped it (or a layer under
 * it), rather than because its data was damaged. */
int dx_stream_limited(const dx_stream *s);
/* Moves a file's stream (not a layer over one) to offset, forgetting what
 * was peeked; -1 with a message. */
int dx_stream_seek(dx_stream *s, uint64_t offset, char *err, size_t errsz);
void dx_stream_close(dx_stream *s);

#endif
