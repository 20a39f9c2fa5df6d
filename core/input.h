/* input.h: where messages come from.
 *
 * A dx_walk turns the paths a user gave into a sequence of sources, in a
 * stable order: a file is itself; a Maildir gives the files of cur/ and new/
 * (never tmp/, whose files are still being written), and its Maildir++
 * subfolders; any other directory is walked recursively with entries sorted
 * by name, hidden entries and symbolic links to directories skipped; "-" is
 * standard input.
 *
 * A dx_stream reads one source's bytes. Issue-by-issue it grows
 * decompression and archives; callers only see bytes and a name.
 *
 * On bad input: a path that cannot be opened or read gives an error message
 * naming it, and the walk goes on with the next.
 */
#ifndef DX_INPUT_H
#define DX_INPUT_H

#include <stddef.h>
#include <sys/types.h>

typedef struct dx_walk dx_walk;

dx_walk *dx_walk_new(const char *const *paths, size_t n);
void dx_walk_free(dx_walk *w);

/* Next source. Returns 1 with *path set (owned by the walk until the next
 * call; "-" for stdin), 0 at the end, or -1 with a message in err (the path
 * and why) for a path that cannot be walked; call again to go on. */
int dx_walk_next(dx_walk *w, const char **path, char *err, size_t errsz);

typedef struct dx_stream dx_stream;

/* Opens a source for reading; NULL with a message in err on failure. */
dx_stream *dx_stream_open(const char *path, char *err, size_t errsz);
/* Reads up to n bytes; returns the count, 0 at the end, -1 on error with a
 * message in err. */
ssize_t dx_stream_read(dx_stream *s, char *buf, size_t n, char *err, size_t errsz);
void dx_stream_close(dx_stream *s);

#endif
