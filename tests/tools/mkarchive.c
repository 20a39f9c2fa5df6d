/* mkarchive.c: writes the archives and compressed files the container
 * tests read, with libarchive, so that the tests need no archiver tools.
 *
 *   mkarchive FORMAT FILTER OUT [-C DIR] PATH...
 *
 * FORMAT: tar, zip, 7z, cpio, or raw (one file, only compressed).
 * FILTER: none, gzip, bzip2, xz, lz4, zstd, lzip, compress.
 * PATHs (files or directories, walked recursively) are stored relative to
 * DIR (default "."), as given. Exits 0, or 1 with a message.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(struct archive *a, const char *what)
{
	fprintf(stderr, "mkarchive: %s: %s\n", what, a ? archive_error_string(a) : "error");
	return 1;
}

static int add_file(struct archive *a, const char *dir, const char *rel)
{
	char full[4096];
	snprintf(full, sizeof full, "%s/%s", dir, rel);
	struct stat st;
	if (stat(full, &st) != 0) {
		perror(full);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(full);
		if (!d) {
			perror(full);
			return 1;
		}
		struct dirent *e;
		int rc = 0;
		while ((e = readdir(d)) != NULL && !rc) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
			rc = add_file(a, dir, sub);
		}
		closedir(d);
		return rc;
	}
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, rel);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		archive_entry_free(e);
		return fail(a, rel);
	}
	archive_entry_free(e);
	int fd = open(full, O_RDONLY);
	if (fd < 0) {
		perror(full);
		return 1;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (archive_write_data(a, buf, (size_t)n) < 0) {
			close(fd);
			return fail(a, rel);
		}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: mkarchive FORMAT FILTER OUT [-C DIR] PATH...\n");
		return 2;
	}
	const char *format = argv[1], *filter = argv[2], *out = argv[3];
	const char *dir = ".";
	int first = 4;
	if (argc > 6 && !strcmp(argv[4], "-C")) {
		dir = argv[5];
		first = 6;
	}
	struct archive *a = archive_write_new();
	int rc = ARCHIVE_OK;
	if (!strcmp(format, "tar"))
		rc = archive_write_set_format_pax_restricted(a);
	else if (!strcmp(format, "zip"))
		rc = archive_write_set_format_zip(a);
	else if (!strcmp(format, "7z"))
		rc = archive_write_set_format_7zip(a);
	else if (!strcmp(format, "cpio"))
		rc = archive_write_set_format_cpio_newc(a);
	else if (!strcmp(format, "raw"))
		rc = archive_write_set_format_raw(a);
	else {
		fprintf(stderr, "mkarchive: unknown format %s\n", format);
		return 2;
	}
	if (rc != ARCHIVE_OK)
		return fail(a, format);
	if (!strcmp(filter, "gzip"))
		rc = archive_write_add_filter_gzip(a);
	else if (!strcmp(filter, "bzip2"))
		rc = archive_write_add_filter_bzip2(a);
	else if (!strcmp(filter, "xz"))
		rc = archive_write_add_filter_xz(a);
	else if (!strcmp(filter, "lz4"))
		rc = archive_write_add_filter_lz4(a);
	else if (!strcmp(filter, "zstd"))
		rc = archive_write_add_filter_zstd(a);
	else if (!strcmp(filter, "lzip"))
		rc = archive_write_add_filter_lzip(a);
	else if (!strcmp(filter, "compress"))
		rc = archive_write_add_filter_compress(a);
	else if (strcmp(filter, "none") != 0) {
		fprintf(stderr, "mkarchive: unknown filter %s\n", filter);
		return 2;
	}
	if (rc != ARCHIVE_OK)
		return fail(a, filter);
	if (archive_write_open_filename(a, out) != ARCHIVE_OK)
		return fail(a, out);
	for (int i = first; i < argc; i++)
		if (add_file(a, dir, argv[i]))
			return 1;
	if (archive_write_close(a) != ARCHIVE_OK)
		return fail(a, out);
	archive_write_free(a);
	return 0;
}
