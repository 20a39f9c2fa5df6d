/* json.h: a small, defensive JSON parser (RFC 8259) into an arena.
 *
 * Parses objects, arrays, strings, numbers, true, false and null from an
 * explicit length (no NUL needed, nothing read past p + n). Strings are
 * decoded to UTF-8: \uXXXX escapes and surrogate pairs become UTF-8, an
 * invalid escape (unknown letter, bad hex digits, lone surrogate) becomes
 * U+FFFD; raw bytes are copied as they are. Numbers are checked against the
 * JSON grammar and kept as written. Every node and string lives in the
 * arena.
 *
 * On bad input: malformed text (syntax error, raw control character in a
 * string, unterminated value, trailing garbage for dx_json_parse), nesting
 * deeper than DX_JSON_MAX_DEPTH, input longer than DX_JSON_MAX_SIZE or more
 * than DX_JSON_MAX_NODES values give NULL, with the reason and the byte
 * offset in the optional dx_json_error; so does arena exhaustion
 * (DX_JSON_ENOMEM), which callers must tell apart from bad input. The parser
 * recurses at most DX_JSON_MAX_DEPTH levels and never crashes on any input.
 */
#ifndef DX_JSON_H
#define DX_JSON_H

#include <stddef.h>

#include "arena.h"

enum {
	DX_JSON_MAX_DEPTH = 64,          /* nested arrays and objects */
	DX_JSON_MAX_NODES = 1 << 20      /* values in one document */
};
#define DX_JSON_MAX_SIZE ((size_t)16 << 20) /* bytes of input */

typedef enum dx_json_type {
	DX_JSON_NULL,
	DX_JSON_FALSE,
	DX_JSON_TRUE,
	DX_JSON_NUMBER,
	DX_JSON_STRING,
	DX_JSON_ARRAY,
	DX_JSON_OBJECT
} dx_json_type;

typedef struct dx_json dx_json;

struct dx_json {
	dx_json_type type;
	/* STRING: the decoded UTF-8, NUL-terminated (it may also hold a NUL
	 * from \u0000: len is exact); NUMBER: the text as written; TRUE,
	 * FALSE, NULL: "true", "false", "null"; ARRAY, OBJECT: NULL. */
	const char *str;
	size_t len;
	/* The member name, decoded, when this value is a member of an object;
	 * NULL otherwise. */
	const char *key;
	size_t key_len;
	/* ARRAY: the elements; OBJECT: the member values (each with its key);
	 * in document order. */
	dx_json **items;
	size_t n;
	dx_json *next;                   /* the following sibling, or NULL */
};

typedef enum dx_json_errcode {
	DX_JSON_OK = 0,
	DX_JSON_ESYNTAX,                 /* not JSON */
	DX_JSON_EDEPTH,                  /* nested deeper than DX_JSON_MAX_DEPTH */
	DX_JSON_ELIMIT,                  /* past DX_JSON_MAX_SIZE or DX_JSON_MAX_NODES */
	DX_JSON_ENOMEM                   /* the arena is exhausted */
} dx_json_errcode;

typedef struct dx_json_error {
	dx_json_errcode code;
	size_t offset;                   /* where the problem was found */
} dx_json_error;

/* Parses p[0..n), which must hold exactly one value with optional
 * whitespace around it. Returns the value, or NULL (err says why). */
dx_json *dx_json_parse(dx_arena *a, const char *p, size_t n, dx_json_error *err);
/* Parses the one value at the start of p[0..n) (after whitespace) and
 * ignores what follows it; *used (if given) gets the offset just past the
 * value. For JSON followed by other text. */
dx_json *dx_json_parse_prefix(dx_arena *a, const char *p, size_t n, size_t *used, dx_json_error *err);

/* Lookups. Each accepts NULL and a value of the wrong type, and then gives
 * NULL or 0, so that lookups chain:
 *   dx_json_str(dx_json_get(dx_json_get(root, "mail"), "source")) */

/* The first member named key (compared byte for byte) of an object. */
const dx_json *dx_json_get(const dx_json *obj, const char *key);
/* The number of elements of an array (or members of an object). */
size_t dx_json_len(const dx_json *v);
/* Element i of an array (or member value i of an object). */
const dx_json *dx_json_at(const dx_json *v, size_t i);
/* The value of a string. */
const char *dx_json_str(const dx_json *v);
/* dx_json_str(dx_json_get(obj, key)). */
const char *dx_json_get_str(const dx_json *obj, const char *key);

#endif
