/* input.c: walking paths and reading sources; see input.h. */
#include "input.h"

#include "dsnidx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A directory being walked: its sorted entries and how far we are. */
typedef struct dir_frame {
	char *path;
	char **names;
	size_t n, next;
	int maildir;             /* entries are cur/, new/ and .Folder/ only */
} dir_frame;

struct dx_walk {
	const char *const *paths;
	size_t npaths, next_path;
	dir_frame *stack;
	size_t depth, cap;
	char *current;           /* the path last returned */
};

dx_walk *dx_walk_new(const char *const *paths, size_t n)
{
	dx_walk *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->paths = paths;
	w->npaths = n;
	return w;
}

static void frame_free(dir_frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->path);
}

void dx_walk_free(dx_walk *w)
{
	if (!w)
		return;
	while (w->depth)
		frame_free(&w->stack[--w->depth]);
	free(w->stack);
	free(w->current);
	free(w);
}

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	int slash = dl && dir[dl - 1] != '/';
	char *p = malloc(dl + nl + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (slash)
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_maildir(const char *path)
{
	char *cur = join(path, "cur"), *new = join(path, "new");
	int r = cur && new && is_dir(cur) && is_dir(new);
	free(cur);
	free(new);
	return r;
}

/* A rotated log's place among its siblings: "maillog.2.gz", "maillog.1"
 * and "maillog" are the stem "maillog" at ranks -2, -1 and 0; dated copies
 * ("maillog-20261127", with or without compression) come before the stem
 * in date order. Sets *stem_len; returns the rank (0: not a rotated name). */
static long long rotation_rank(const char *name, size_t *stem_len)
{
	static const char *const exts[] = {".gz", ".bz2", ".xz", ".zst", ".lz4", ".lz", ".Z"};
	size_t n = strlen(name);
	*stem_len = n;
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t k = strlen(exts[i]);
		if (n > k && strcmp(name + n - k, exts[i]) == 0) {
			n -= k;
			break;
		}
	}
	size_t d = n;
	while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
		d--;
	size_t digits = n - d;
	if (digits == 0 || digits > 10 || d < 2)
		return 0;
	long long v = 0;
	for (size_t i = d; i < n; i++)
		v = v * 10 + (name[i] - '0');
	if (name[d - 1] == '.' && digits <= 4) {
		*stem_len = d - 1;
		return -v;
	}
	if (name[d - 1] == '-' && digits == 8) {
		*stem_len = d - 1;
		return v - 100000000LL;
	}
	return 0;
}

/* Name order, except that the rotated copies of a log come oldest first
 * and the live file last: so that each delivery's attempts are read in
 * the order they happened, and a renamed file is met under its new name
 * before its old name is reused. */
static int cmp_names(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t xn, yn;
	long long xr = rotation_rank(x, &xn), yr = rotation_rank(y, &yn);
	if (xr || yr) {
		size_t m = xn < yn ? xn : yn;
		int c = memcmp(x, y, m);
		if (c == 0 && xn == yn) {
			if (xr != yr)
				return xr < yr ? -1 : 1;
		} else if (c == 0) {
			/* One stem is a prefix of the other: plain name order. */
		} else
			return c;
	}
	return strcmp(x, y);
}

static int push_dir(dx_walk *w, const char *path, char *err, size_t errsz)
{
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errsz, "%s: cannot open directory: %s", path, strerror(errno));
		return -1;
	}
	dir_frame f = {0};
	f.maildir = is_maildir(path);
	size_t cap = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (f.maildir) {
			/* cur/ and new/, and Maildir++ folders; never tmp/. */
			if (strcmp(name, "cur") != 0 && strcmp(name, "new") != 0 && name[0] != '.')
				continue;
		} else if (name[0] == '.')
			continue;
		if (f.n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(f.names, cap * sizeof *nn);
			if (!nn)
				goto nomem;
			f.names = nn;
		}
		if (!(f.names[f.n] = strdup(name)))
			goto nomem;
		f.n++;
	}
	closedir(d);
	if (f.n)
		qsort(f.names, f.n, sizeof *f.names, cmp_names);
	if (!(f.path = strdup(path)))
		goto nomem_closed;
	if (w->depth == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 8;
		dir_frame *ns = realloc(w->stack, nc * sizeof *ns);
		if (!ns)
			goto nomem_closed;
		w->stack = ns;
		w->cap = nc;
	}
	w->stack[w->depth++] = f;
	return 0;
nomem:
	closedir(d);
nomem_closed:
	frame_free(&f);
	snprintf(err, errsz, "%s: out of memory listing directory", path);
	return -1;
}

static int set_current(dx_walk *w, char *path, const char **out)
{
	free(w->current);
	w->current = path;
	*out = path;
	return 1;
}

int dx_walk_next(dx_walk *w, const char **out, char *err, size_t errsz)
{
	for (;;) {
		if (w->depth) {
			dir_frame *f = &w->stack[w->depth - 1];
			if (f->next == f->n) {
				frame_free(f);
				w->depth--;
				continue;
			}
			const char *name = f->names[f->next++];
			char *p = join(f->path, name);
			if (!p) {
				snprintf(err, errsz, "%s: out of memory", f->path);
				return -1;
			}
			struct stat st;
			if (lstat(p, &st) != 0) {
				snprintf(err, errsz, "%s: %s", p, strerror(errno));
				free(p);
				return -1;
			}
			if (S_ISLNK(st.st_mode) && stat(p, &st) != 0) {
				snprintf(err, errsz, "%s: broken symbolic link", p);
				free(p);
				return -1;
			}
			if (S_ISDIR(st.st_mode)) {
				struct stat lst;
				/* A link to a directory could loop; walk real ones only,
				 * and in a Maildir only subfolders that are Maildirs. */
				int skip = lstat(p, &lst) == 0 && S_ISLNK(lst.st_mode);
				if (f->maildir && name[0] == '.' && !is_maildir(p))
					skip = 1;
				if (!skip && push_dir(w, p, err, errsz) < 0) {
					free(p);
					return -1;
				}
				free(p);
				continue;
			}
			if (!S_ISREG(st.st_mode)) {
				free(p);
				continue; /* sockets, fifos and devices in a tree are not mail */
			}
			return set_current(w, p, out);
		}
		if (w->next_path == w->npaths)
			return 0;
		const char *path = w->paths[w->next_path++];
		if (strcmp(path, "-") == 0) {
			char *p = strdup("-");
			if (!p) {
				snprintf(err, errsz, "-: out of memory");
				return -1;
			}
			return set_current(w, p, out);
		}
		struct stat st;
		if (stat(path, &st) != 0) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (push_dir(w, path, err, errsz) < 0)
				return -1;
			continue;
		}
		char *p = strdup(path);
		if (!p) {
			snprintf(err, errsz, "%s: out of memory", path);
			return -1;
		}
		/* A path named by the user is read whatever its type (a fifo,
		 * /dev/stdin): the user asked for it. */
		return set_current(w, p, out);
	}
}

/* ---- streams --------------------------------------------------------------- */

/* Enough for every magic number and a tar header's "ustar" at offset 257. */
enum { PEEK_MAX = 4096 };

struct dx_stream {
	const dx_stream_ops *ops;
	void *impl;
	dx_stream *under;
	char peek[PEEK_MAX];
	size_t peek_len, peek_pos;
	int peeked;
	int fd;                  /* a file's descriptor, or -1 */
	int failed;              /* a read failed: every later read repeats why */
	int limited;             /* ...because a limit stopped it (read returned -2) */
	char why[400];
};

typedef struct fd_stream {
	int fd;
	int owned;
	char *name;
} fd_stream;

static ssize_t fd_read(void *impl, char *buf, size_t n, char *err, size_t errsz)
{
	fd_stream *f = impl;
	for (;;) {
		ssize_t r = read(f->fd, buf, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		snprintf(err, errsz, "read error: %s", strerror(errno));
		return -1;
	}
}

static void fd_close(void *impl)
{
	fd_stream *f = impl;
	if (f->owned && f->fd >= 0)
		close(f->fd);
	free(f->name);
	free(f);
}

static const dx_stream_ops fd_ops = {fd_read, fd_close};

dx_stream *dx_stream_new(const dx_stream_ops *ops, void *impl, dx_stream *under)
{
	dx_stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->ops = ops;
	s->impl = impl;
	s->under = under;
	s->fd = -1;
	return s;
}

dx_stream *dx_stream_open(const char *path, char *err, size_t errsz)
{
	fd_stream *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		f->fd = STDIN_FILENO;
		f->owned = 0;
	} else {
		f->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			free(f);
			return NULL;
		}
		f->owned = 1;
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	f->name = strdup(path);
	dx_stream *s = f->name ? dx_stream_new(&fd_ops, f, NULL) : NULL;
	if (!s) {
		fd_close(f);
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	struct stat st;
	if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode))
		s->fd = f->fd;
	return s;
}

int dx_stream_limited(const dx_stream *s)
{
	return s->limited;
}

int dx_stream_fd(const dx_stream *s)
{
	return s->fd;
}

int dx_stream_seek(dx_stream *s, uint64_t offset, char *err, size_t errsz)
{
	if (s->fd < 0 || s->under || s->failed) {
		snprintf(err, errsz, "cannot seek in this stream");
		return -1;
	}
	if (lseek(s->fd, (off_t)offset, SEEK_SET) < 0) {
		snprintf(err, errsz, "seek to %llu: %s", (unsigned long long)offset, strerror(errno));
		return -1;
	}
	/* What was peeked came from the old position. */
	s->peek_len = s->peek_pos = 0;
	s->peeked = 0;
	return 0;
}

/* One read of the layer below, retried on EINTR by the layer itself. */
static ssize_t raw_read(dx_stream *s, char *buf, size_t n, char *err, size_t errsz)
{
	return s->ops->read(s->impl, buf, n, err, errsz);
}

int dx_stream_peek(dx_stream *s, size_t n, const char **p, size_t *len, char *err, size_t errsz)
{
	if (n > PEEK_MAX)
		n = PEEK_MAX;
	if (!s->peeked) {
		s->peeked = 1;
		while (s->peek_len < n) {
			ssize_t r = raw_read(s, s->peek + s->peek_len, n - s->peek_len, err, errsz);
			if (r < 0) {
				s->failed = 1;
				s->limited = r == -2 || (s->under && s->under->limited);
				snprintf(s->why, sizeof s->why, "%s", err);
				if (s->peek_len)
					break; /* the bytes before the error are still read */
				return -1;
			}
			if (r == 0)
				break;
			s->peek_len += (size_t)r;
		}
	}
	*p = s->peek + s->peek_pos;
	*len = s->peek_len - s->peek_pos;
	return 0;
}

ssize_t dx_stream_read(dx_stream *s, char *buf, size_t n, char *err, size_t errsz)
{
	size_t got = 0;
	if (s->failed) {
		snprintf(err, errsz, "%s", s->why);
		return -1;
	}
	/* What was peeked comes first. */
	if (s->peek_pos < s->peek_len) {
		size_t k = s->peek_len - s->peek_pos < n ? s->peek_len - s->peek_pos : n;
		memcpy(buf, s->peek + s->peek_pos, k);
		s->peek_pos += k;
		got = k;
	}
	/* Fill the request: pipes and decompressors return short reads, and a
	 * full buffer means fewer trips through the caller's framing logic. */
	while (got < n) {
		ssize_t r = raw_read(s, buf + got, n - got, err, errsz);
		if (r < 0) {
			/* What was read is returned; the error comes with the next
			 * call, in the same words. A limit below is a limit here. */
			s->failed = 1;
			s->limited = r == -2 || (s->under && s->under->limited);
			snprintf(s->why, sizeof s->why, "%s", err);
			if (got)
				break;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void dx_stream_close(dx_stream *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->close)
		s->ops->close(s->impl);
	dx_stream_close(s->under);
	free(s);
}

uint64_t dx_input_size(const char *const *paths, size_t npaths)
{
	dx_walk *w = dx_walk_new(paths, npaths);
	if (!w)
		return 0;
	uint64_t total = 0;
	const char *path;
	char err[512];
	int got;
	while ((got = dx_walk_next(w, &path, err, sizeof err)) != 0) {
		struct stat st;
		if (got > 0 && strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	dx_walk_free(w);
	return total;
}
