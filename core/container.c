/* container.c: compression and archives, read as streams; see container.h. */
#include "container.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <zstd.h>

#include "text.h"

enum { BUF_SIZE = 128 * 1024 };

/* ---- telling kinds apart ---------------------------------------------------- */

static int starts(const char *p, size_t n, const char *magic, size_t m)
{
	return n >= m && memcmp(p, magic, m) == 0;
}

int dx_stream_kind(dx_stream *s, char *err, size_t errsz)
{
	const char *p;
	size_t n;
	if (dx_stream_peek(s, 512, &p, &n, err, errsz) < 0)
		return -1;
	if (starts(p, n, "\x28\xb5\x2f\xfd", 4))
		return DX_KIND_ZSTD;
	if (starts(p, n, "\x1f\x8b", 2) ||                           /* gzip */
	    (starts(p, n, "BZh", 3) && n > 3 && p[3] >= '1' && p[3] <= '9') || /* bzip2 */
	    starts(p, n, "\xfd" "7zXZ\x00", 6) ||                    /* xz */
	    starts(p, n, "\x04\x22\x4d\x18", 4) ||                   /* lz4 frame */
	    starts(p, n, "\x02\x21\x4c\x18", 4) ||                   /* lz4 legacy */
	    starts(p, n, "LZIP", 4) ||                               /* lzip */
	    starts(p, n, "\x1f\x9d", 2))                             /* compress */
		return DX_KIND_COMPRESSED;
	if (starts(p, n, "7z\xbc\xaf\x27\x1c", 6))
		return DX_KIND_7Z;
	if (starts(p, n, "PK\x03\x04", 4) || starts(p, n, "PK\x05\x06", 4) || starts(p, n, "PK\x07\x08", 4) ||
	    starts(p, n, "070707", 6) || starts(p, n, "070701", 6) || starts(p, n, "070702", 6) ||
	    starts(p, n, "\xc7\x71", 2) || starts(p, n, "\x71\xc7", 2))
		return DX_KIND_ARCHIVE;
	/* tar: "ustar" at offset 257 (POSIX and GNU). */
	if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0)
		return DX_KIND_ARCHIVE;
	return DX_KIND_PLAIN;
}

const char *dx_kind_name(dx_stream *s, dx_kind kind)
{
	const char *p;
	size_t n;
	char err[8];
	if (dx_stream_peek(s, 512, &p, &n, err, sizeof err) < 0)
		n = 0;
	switch (kind) {
	case DX_KIND_PLAIN: return "mail";
	case DX_KIND_ZSTD: return "zstd";
	case DX_KIND_7Z: return "7z";
	case DX_KIND_COMPRESSED:
		if (starts(p, n, "\x1f\x8b", 2))
			return "gzip";
		if (starts(p, n, "BZh", 3))
			return "bzip2";
		if (starts(p, n, "\xfd" "7zXZ", 5))
			return "xz";
		if (starts(p, n, "LZIP", 4))
			return "lzip";
		if (starts(p, n, "\x1f\x9d", 2))
			return "compress";
		return "lz4";
	case DX_KIND_ARCHIVE:
		if (starts(p, n, "PK", 2))
			return "zip";
		if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0)
			return "tar";
		return "cpio";
	}
	return "data";
}

/* ---- how far a layer may expand -------------------------------------------------- */

/* What a decompressing layer gave against what it took. Once a limit is
 * passed the layer has delivered exactly what the limit allows and every
 * later read fails with the same words. */
typedef struct guard {
	dx_expand_limits lim;
	uint64_t out;
	uint64_t in_start;       /* compressed bytes consumed when it began */
	int stopped;
	char why[200];
} guard;

static void guard_init(guard *g, const dx_expand_limits *lim, uint64_t in_now)
{
	memset(g, 0, sizeof *g);
	if (lim)
		g->lim = *lim;
	g->in_start = in_now;
}

/* Whether the layer was stopped: -2 with its message, else 0. */
static int guard_stopped(const guard *g, char *err, size_t errsz)
{
	if (!g->stopped)
		return 0;
	snprintf(err, errsz, "%s", g->why);
	return -2;
}

/* Takes a read of got bytes (in_now compressed bytes consumed so far): how
 * many of them to deliver, all but what passes max_expanded. A limit passed
 * stops the layer from its next read on; -2 with the message when nothing
 * of this read may be delivered. */
static ssize_t guard_pass(guard *g, ssize_t got, uint64_t in_now, char *err, size_t errsz)
{
	if (got <= 0)
		return got;
	if (g->lim.max_expanded && (uint64_t)got > g->lim.max_expanded - g->out) {
		got = (ssize_t)(g->lim.max_expanded - g->out);
		g->stopped = 1;
		snprintf(g->why, sizeof g->why, "more than max_expanded (%llu bytes) once decompressed; the rest is not read",
			 (unsigned long long)g->lim.max_expanded);
		if (!got)
			return guard_stopped(g, err, errsz);
	}
	g->out += (uint64_t)got;
	uint64_t in = in_now > g->in_start ? in_now - g->in_start : 1;
	if (!g->stopped && g->lim.max_ratio && g->out > DX_RATIO_FLOOR && g->out / in > g->lim.max_ratio) {
		g->stopped = 1;
		snprintf(g->why, sizeof g->why,
			 "expands more than max_ratio (%llu) times its compressed size, a decompression bomb; "
			 "the rest is not read",
			 (unsigned long long)g->lim.max_ratio);
	}
	return got;
}

/* ---- zstd ------------------------------------------------------------------- */

typedef struct zstd_stream {
	ZSTD_DCtx *dctx;
	dx_stream *in;
	char *inbuf;
	ZSTD_inBuffer input;
	int in_eof;
	int mid_frame;           /* a frame began and has not ended */
	int failed;
	uint64_t in_total;       /* compressed bytes read, for messages */
	guard g;
} zstd_stream;

static ssize_t zstd_read(void *impl, char *buf, size_t n, char *err, size_t errsz)
{
	zstd_stream *z = impl;
	if (guard_stopped(&z->g, err, errsz))
		return -2;
	if (z->failed) {
		snprintf(err, errsz, "zstd: cannot read past the error");
		return -1;
	}
	ZSTD_outBuffer out = {buf, n, 0};
	while (out.pos == 0) {
		if (z->input.pos == z->input.size && !z->in_eof) {
			ssize_t r = dx_stream_read(z->in, z->inbuf, ZSTD_DStreamInSize(), err, errsz);
			if (r < 0) {
				z->failed = 1;
				return dx_stream_limited(z->in) ? -2 : -1;
			}
			if (r == 0)
				z->in_eof = 1;
			z->input.src = z->inbuf;
			z->input.size = (size_t)r;
			z->input.pos = 0;
			z->in_total += (uint64_t)r;
		}
		if (z->input.pos == z->input.size && z->in_eof) {
			if (z->mid_frame) {
				z->failed = 1;
				snprintf(err, errsz, "zstd: truncated frame (input ends at compressed byte %llu)",
					 (unsigned long long)z->in_total);
				return -1;
			}
			return 0;
		}
		size_t before = z->input.pos;
		size_t ret = ZSTD_decompressStream(z->dctx, &out, &z->input);
		if (ZSTD_isError(ret)) {
			z->failed = 1;
			snprintf(err, errsz, "zstd: %s (near compressed byte %llu)", ZSTD_getErrorName(ret),
				 (unsigned long long)(z->in_total - (z->input.size - before)));
			return -1;
		}
		/* 0: a frame is complete and flushed; else more is to come. */
		z->mid_frame = ret != 0;
		if (out.pos == 0 && z->input.pos == before && z->input.pos < z->input.size && !z->mid_frame)
			break; /* no progress: cannot happen with a sane library */
	}
	return guard_pass(&z->g, (ssize_t)out.pos, z->in_total - (z->input.size - z->input.pos), err, errsz);
}

static void zstd_close(void *impl)
{
	zstd_stream *z = impl;
	ZSTD_freeDCtx(z->dctx);
	free(z->inbuf);
	free(z);
}

static const dx_stream_ops zstd_ops = {zstd_read, zstd_close};

/* ---- libarchive over a dx_stream ---------------------------------------------- */

/* What libarchive reads from: our stream, with the last error kept. */
typedef struct la_source {
	dx_stream *s;
	char *buf;
	char err[400];
} la_source;

static la_ssize_t la_read(struct archive *a, void *ctx, const void **out)
{
	la_source *src = ctx;
	ssize_t n = dx_stream_read(src->s, src->buf, BUF_SIZE, src->err, sizeof src->err);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", src->err);
		return -1;
	}
	*out = src->buf;
	return n;
}

static la_source *la_source_new(dx_stream *s)
{
	la_source *src = calloc(1, sizeof *src);
	if (!src)
		return NULL;
	src->buf = malloc(BUF_SIZE);
	if (!src->buf) {
		free(src);
		return NULL;
	}
	src->s = s;
	return src;
}

static void la_source_free(la_source *src)
{
	if (!src)
		return;
	dx_stream_close(src->s);
	free(src->buf);
	free(src);
}

/* libarchive hands out data block by block. Reading a block at a time
 * (rather than asking archive_read_data() for a large amount, which drops
 * what it gathered when it meets damage) keeps every byte that came before
 * a corrupt or truncated part. */
typedef struct blocks {
	const char *p;
	size_t n, pos;
	int done;
} blocks;

static ssize_t read_blocks(struct archive *a, blocks *b, char *buf, size_t n, char *err, size_t errsz,
			   const char *what)
{
	while (b->pos == b->n && !b->done) {
		const void *p;
		size_t len;
		la_int64_t off;
		int rc = archive_read_data_block(a, &p, &len, &off);
		if (rc == ARCHIVE_EOF) {
			b->done = 1;
			break;
		}
		if (rc < ARCHIVE_WARN) {
			const char *m = archive_error_string(a);
			snprintf(err, errsz, "%s", m && *m ? m : what);
			return -1;
		}
		b->p = p;
		b->n = len;
		b->pos = 0;
	}
	size_t k = b->n - b->pos < n ? b->n - b->pos : n;
	if (k)
		memcpy(buf, b->p + b->pos, k);
	b->pos += k;
	return (ssize_t)k;
}

/* A compressed stream through a filter-only libarchive reader. */
typedef struct filter_stream {
	struct archive *a;
	la_source *src;
	blocks b;
	guard g;
	int empty;               /* it decompressed to nothing */
} filter_stream;

static ssize_t filter_read(void *impl, char *buf, size_t n, char *err, size_t errsz)
{
	filter_stream *f = impl;
	if (guard_stopped(&f->g, err, errsz))
		return -2;
	if (f->empty)
		return 0;
	ssize_t r = read_blocks(f->a, &f->b, buf, n, err, errsz, "corrupt compressed data");
	if (r < 0 && dx_stream_limited(f->src->s))
		return -2; /* a limit on the layer below, in its words */
	return guard_pass(&f->g, r, (uint64_t)archive_filter_bytes(f->a, -1), err, errsz);
}

static void filter_close(void *impl)
{
	filter_stream *f = impl;
	archive_read_free(f->a);
	la_source_free(f->src);
	free(f);
}

static const dx_stream_ops filter_ops = {filter_read, filter_close};

dx_stream *dx_decompress(dx_stream *s, dx_kind kind, const dx_expand_limits *lim, char *err, size_t errsz)
{
	if (kind == DX_KIND_ZSTD) {
		zstd_stream *z = calloc(1, sizeof *z);
		if (!z || !(z->dctx = ZSTD_createDCtx()) || !(z->inbuf = malloc(ZSTD_DStreamInSize()))) {
			if (z) {
				ZSTD_freeDCtx(z->dctx);
				free(z);
			}
			dx_stream_close(s);
			snprintf(err, errsz, "out of memory");
			return NULL;
		}
		z->in = s;
		guard_init(&z->g, lim, 0);
		dx_stream *out = dx_stream_new(&zstd_ops, z, s);
		if (!out) {
			zstd_close(z);
			dx_stream_close(s);
			snprintf(err, errsz, "out of memory");
		}
		return out;
	}
	filter_stream *f = calloc(1, sizeof *f);
	la_source *src = la_source_new(s);
	struct archive *a = archive_read_new();
	if (!f || !src || !a) {
		free(f);
		if (src)
			la_source_free(src);
		else
			dx_stream_close(s);
		archive_read_free(a);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	/* A compressed empty file (gzip < /dev/null) is an empty stream, not
	 * an error: libarchive's raw format wants at least one byte. */
	archive_read_support_format_empty(a);
	struct archive_entry *e;
	int rc = archive_read_open(a, src, NULL, la_read, NULL);
	if (rc == ARCHIVE_OK)
		rc = archive_read_next_header(a, &e);
	if (rc == ARCHIVE_EOF)
		f->empty = 1;
	else if (rc != ARCHIVE_OK) {
		const char *m = archive_error_string(a);
		snprintf(err, errsz, "%s", m && *m ? m : "unreadable compressed data");
		archive_read_free(a);
		la_source_free(src);
		free(f);
		return NULL;
	}
	f->a = a;
	f->src = src;
	guard_init(&f->g, lim, (uint64_t)archive_filter_bytes(a, -1));
	/* The filter reader owns the stream below through src. */
	dx_stream *out = dx_stream_new(&filter_ops, f, NULL);
	if (!out) {
		filter_close(f);
		snprintf(err, errsz, "out of memory");
	}
	return out;
}

/* ---- archives ------------------------------------------------------------------- */

enum { MAX_MAILDIRS = 64 };

struct dx_archive {
	struct archive *a;
	la_source *src;          /* NULL for a 7z */
	dx_stream *file;         /* the 7z's stream, kept for its descriptor */
	char *spool;             /* a 7z that came through a pipe, in memory */
	char path[4096];
	int failed;
	int member_failed;       /* a member's data was damaged: the end */
	char why[400];           /* what made it fail */
	int member_open;
	dx_expand_limits lim;
	int64_t mtime;           /* the current member's, or INT64_MIN */
	/* Directories seen holding cur/ or new/: Maildirs, whose tmp/ is skipped. */
	char *maildirs[MAX_MAILDIRS];
	unsigned nmaildirs;
};

typedef struct member_stream {
	dx_archive *ar;
	blocks b;
	guard g;
} member_stream;

static ssize_t member_read(void *impl, char *buf, size_t n, char *err, size_t errsz)
{
	member_stream *m = impl;
	/* Past a limit the rest of this member is skipped; the next is read. */
	if (guard_stopped(&m->g, err, errsz))
		return -2;
	ssize_t r = read_blocks(m->ar->a, &m->b, buf, n, err, errsz, "corrupt archive data");
	if (r < 0) {
		m->ar->member_failed = 1; /* reported by the member's reader */
		if (m->ar->src && dx_stream_limited(m->ar->src->s))
			return -2;
	}
	return guard_pass(&m->g, r, (uint64_t)archive_filter_bytes(m->ar->a, -1), err, errsz);
}

static void member_close(void *impl)
{
	member_stream *m = impl;
	m->ar->member_open = 0;
	free(m);
}

static const dx_stream_ops member_ops = {member_read, member_close};

/* Reads all of s into memory, up to max bytes: 0 with the bytes in *out,
 * -1 with a message (*too_big set when max was the reason). */
static int spool(dx_stream *s, uint64_t max, char **out, size_t *outlen, int *too_big, char *err, size_t errsz)
{
	size_t limit = max > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)max;
	size_t cap = 0, len = 0;
	char *buf = NULL;
	for (;;) {
		if (len == cap) {
			if (len >= limit) {
				/* Full: one more byte means too big. */
				char probe;
				ssize_t r = dx_stream_read(s, &probe, 1, err, errsz);
				if (r == 0)
					break;
				free(buf);
				if (r > 0) {
					*too_big = 1;
					snprintf(err, errsz,
						 "a 7z archive that is not a regular file of its own (a pipe, or inside "
						 "another container) is held in memory, and this one is larger than "
						 "max_7z_memory (%llu bytes); not read",
						 (unsigned long long)max);
				}
				return -1;
			}
			size_t ncap = cap ? cap * 2 : 4 * (size_t)BUF_SIZE;
			if (ncap > limit)
				ncap = limit;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				snprintf(err, errsz, "out of memory holding a 7z archive of %zu bytes", len);
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = dx_stream_read(s, buf + len, cap - len, err, errsz);
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

dx_archive *dx_archive_open(dx_stream *s, dx_kind kind, uint64_t max_7z_memory, const dx_expand_limits *lim,
			    int *too_big, char *err, size_t errsz)
{
	*too_big = 0;
	dx_archive *ar = calloc(1, sizeof *ar);
	struct archive *a = archive_read_new();
	if (!ar || !a) {
		free(ar);
		archive_read_free(a);
		dx_stream_close(s);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ar->a = a;
	if (lim)
		ar->lim = *lim;
	if (kind == DX_KIND_7Z) {
		/* 7z keeps its index at the end, so it is read from a file that
		 * can seek; from a pipe or inside another container it is held
		 * in memory, up to a limit, since nothing goes to disk. */
		int fd = dx_stream_fd(s);
		int rc;
		archive_read_support_format_7zip(a);
		if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0) {
			rc = archive_read_open_fd(a, fd, BUF_SIZE);
		} else {
			size_t len;
			if (spool(s, max_7z_memory, &ar->spool, &len, too_big, err, errsz) < 0) {
				archive_read_free(a);
				dx_stream_close(s);
				free(ar);
				return NULL;
			}
			rc = archive_read_open_memory(a, ar->spool, len);
		}
		if (rc != ARCHIVE_OK) {
			const char *m = archive_error_string(a);
			snprintf(err, errsz, "%s", m && *m ? m : "unreadable 7z archive");
			archive_read_free(a);
			dx_stream_close(s);
			free(ar->spool);
			free(ar);
			return NULL;
		}
		ar->file = s;
		return ar;
	}
	/* Streaming readers only: zip read from its local headers, so that a
	 * zip inside a tar or on standard input works. */
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip_streamable(a);
	archive_read_support_format_cpio(a);
	archive_read_support_filter_none(a);
	la_source *src = la_source_new(s);
	if (!src) {
		archive_read_free(a);
		dx_stream_close(s);
		free(ar);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (archive_read_open(a, src, NULL, la_read, NULL) != ARCHIVE_OK) {
		const char *m = archive_error_string(a);
		snprintf(err, errsz, "%s", m && *m ? m : "unreadable archive");
		archive_read_free(a);
		la_source_free(src);
		free(ar);
		return NULL;
	}
	ar->src = src;
	return ar;
}

/* Whether a member path is clutter or a Maildir's tmp/. */
static int skip_member(dx_archive *ar, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(path, "__MACOSX/", 9) == 0 || strncmp(base, "._", 2) == 0 || strcmp(base, ".DS_Store") == 0)
		return 1;
	/* Remember Maildirs: directories with cur/ or new/ members. */
	static const char *const subdirs[] = {"cur/", "new/", "tmp/"};
	for (size_t k = 0; k < 3; k++) {
		const char *q = path;
		size_t sl = strlen(subdirs[k]);
		while ((q = strstr(q, subdirs[k])) != NULL) {
			if (q == path || q[-1] == '/') {
				size_t plen = (size_t)(q - path);
				if (k < 2) {
					int known = 0;
					for (unsigned i = 0; i < ar->nmaildirs && !known; i++)
						known = strlen(ar->maildirs[i]) == plen && memcmp(ar->maildirs[i], path, plen) == 0;
					if (!known && ar->nmaildirs < MAX_MAILDIRS) {
						char *d = malloc(plen + 1);
						if (d) {
							memcpy(d, path, plen);
							d[plen] = '\0';
							ar->maildirs[ar->nmaildirs++] = d;
						}
					}
				} else {
					for (unsigned i = 0; i < ar->nmaildirs; i++)
						if (strlen(ar->maildirs[i]) == plen && memcmp(ar->maildirs[i], path, plen) == 0)
							return 1;
					/* tmp/ may come before cur/ and new/: a file named as
					 * Maildir names them ("1763900200.M3P100.host") is
					 * skipped too. */
					const char *b2 = q + sl;
					size_t digits = strspn(b2, "0123456789");
					if (!strchr(b2, '/') && digits >= 9 && b2[digits] == '.')
						return 1;
				}
			}
			q += sl;
		}
	}
	return 0;
}

int dx_archive_next(dx_archive *ar, const char **path, dx_stream **member, char *err, size_t errsz)
{
	if (ar->failed) {
		snprintf(err, errsz, "%s", ar->why);
		return -1;
	}
	/* The archive cannot go on past a damaged member, whose reader has
	 * already said what failed and where. */
	if (ar->member_failed)
		return 0;
	for (;;) {
		struct archive_entry *e;
		int rc = archive_read_next_header(ar->a, &e);
		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc < ARCHIVE_WARN) {
			ar->failed = 1;
			const char *m = archive_error_string(ar->a);
			snprintf(ar->why, sizeof ar->why, "%s", m && *m ? m : "corrupt archive");
			snprintf(err, errsz, "%s", ar->why);
			return -1;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		const char *p = archive_entry_pathname(e);
		if (!p)
			p = "?";
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		if (skip_member(ar, p))
			continue;
		snprintf(ar->path, sizeof ar->path, "%s", p);
		ar->mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : INT64_MIN;
		member_stream *m = calloc(1, sizeof *m);
		dx_stream *s = m ? dx_stream_new(&member_ops, m, NULL) : NULL;
		if (!s) {
			free(m);
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		m->ar = ar;
		guard_init(&m->g, &ar->lim, (uint64_t)archive_filter_bytes(ar->a, -1));
		ar->member_open = 1;
		*path = ar->path;
		*member = s;
		return 1;
	}
}

void dx_archive_close(dx_archive *ar)
{
	if (!ar)
		return;
	archive_read_free(ar->a);
	la_source_free(ar->src);
	dx_stream_close(ar->file);
	free(ar->spool);
	for (unsigned i = 0; i < ar->nmaildirs; i++)
		free(ar->maildirs[i]);
	free(ar);
}

int64_t dx_archive_mtime(const dx_archive *ar)
{
	return ar->mtime;
}
