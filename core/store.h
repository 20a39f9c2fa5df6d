/* store.h: what query.c needs of the store's insides.
 *
 * store.c writes the index (schema, records, sources); query.c reads it
 * (export, reports, lists, summaries). Both are one SQLite connection.
 */
#ifndef DX_STORE_H
#define DX_STORE_H

#include <sqlite3.h>

#include "dsnidx.h"

/* The hour of records without a time, in `agg`: far before any real date,
 * so that no real hour (1969 included) can collide with it. */
#define DX_UNKNOWN_HOUR_SQL "-2147483648"
#define DX_UNKNOWN_HOUR (-2147483648LL)

sqlite3 *dx_store_sqlite(dx_store *s);
/* A 16-byte key as stored (little-endian) back into its two words;
 * zeros when n is not 16. */
void dx_store_key_words(const unsigned char *b, int n, uint64_t k[2]);
/* Sets err from SQLite's last error, with the database path; DX_ERR_DB. */
dx_status dx_store_fail(dx_store *s, dx_error *err, const char *what);

#endif
