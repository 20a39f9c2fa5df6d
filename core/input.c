/* input.c: walking paths and reading sources; see input.h. */
#include "input.h"

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

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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

struct dx_stream {
	int fd;
	int owned;
	char *name;
};

dx_stream *dx_stream_open(const char *path, char *err, size_t errsz)
{
	dx_stream *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		s->fd = STDIN_FILENO;
		s->owned = 0;
	} else {
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			free(s);
			return NULL;
		}
		s->owned = 1;
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	s->name = strdup(path);
	if (!s->name) {
		dx_stream_close(s);
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	return s;
}

ssize_t dx_stream_read(dx_stream *s, char *buf, size_t n, char *err, size_t errsz)
{
	size_t got = 0;
	/* Fill the request: pipes return short reads, and a full buffer means
	 * fewer trips through the caller's framing logic. */
	while (got < n) {
		ssize_t r = read(s->fd, buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errsz, "%s: read error: %s", s->name, strerror(errno));
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
	if (s->owned && s->fd >= 0)
		close(s->fd);
	free(s->name);
	free(s);
}
