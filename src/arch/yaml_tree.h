/* A small YAML document tree with a source position on every node, built
 * from libfyaml's event stream (libfyaml's own document tree does not give
 * positions of mappings and sequences in 0.7). Anchors and aliases resolve
 * to shared nodes, `<<` merge keys are applied, and duplicate keys are
 * refused. Errors come back as tsr_error with file:line:col; libfyaml's
 * diagnostics are collected, never printed. */
#ifndef TSR_ARCH_YAML_TREE_H
#define TSR_ARCH_YAML_TREE_H

#include <stddef.h>

#include "tessera/core.h"

typedef enum tsr_yaml_kind { TSR_YAML_SCALAR, TSR_YAML_MAP, TSR_YAML_SEQ } tsr_yaml_kind;

typedef struct tsr_yaml_node tsr_yaml_node;
struct tsr_yaml_node {
  tsr_yaml_kind kind;
  int line, col; /* 1-based */
  /* scalar */
  char *text; /* NUL-terminated (may hold embedded NULs up to len) */
  size_t len;
  int plain; /* plain (unquoted, untagged) scalar: may be null, a number, a bool */
  /* map: keys[i] -> values[i]; seq: values[i] */
  tsr_yaml_node **keys;
  tsr_yaml_node **values;
  size_t n, cap;
};

typedef struct tsr_yaml_doc tsr_yaml_doc;

/* Parses text (len bytes) into a tree; the root is NULL for an empty
 * document. filename names the input in errors. json: parse as JSON. */
tsr_status tsr_yaml_parse(const char *text, size_t len, const char *filename, int json,
                          tsr_yaml_doc **out, tsr_error *err);
tsr_yaml_node *tsr_yaml_root(const tsr_yaml_doc *doc);
void tsr_yaml_free(tsr_yaml_doc *doc);

/* Value of a key in a mapping (NULL if absent or map is not a mapping). */
const tsr_yaml_node *tsr_yaml_get(const tsr_yaml_node *map, const char *key);
/* The key node of a key in a mapping (NULL if absent). */
const tsr_yaml_node *tsr_yaml_get_key(const tsr_yaml_node *map, const char *key);
/* 1 when a plain scalar spells null (null, Null, NULL, ~ or nothing). */
int tsr_yaml_is_null(const tsr_yaml_node *n);

#endif
