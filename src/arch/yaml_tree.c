/* YAML tree with positions, built from libfyaml events (see yaml_tree.h).
 *
 * Every node is allocated once and listed in the document, so aliases can
 * share nodes and freeing is one flat loop. An anchor is registered when its
 * node is complete, so an alias inside its own anchor's node is "undefined"
 * and the tree never has cycles. Merge keys copy pointers, capped in total
 * so hostile merge chains cannot blow up time or memory. */
#include "yaml_tree.h"

#include <libfyaml.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Ceiling on key/value pairs copied by `<<` merges in one document. */
#define MERGE_BUDGET 100000

typedef struct anchor {
  char *name;
  tsr_yaml_node *node;
} anchor;

typedef struct frame {
  tsr_yaml_node *node;
  tsr_yaml_node *pending_key; /* mapping: key waiting for its value */
  char *anchor;               /* registered when the node ends */
} frame;

struct tsr_yaml_doc {
  tsr_yaml_node **all;
  size_t n_all, cap_all;
  tsr_yaml_node *root;
};

typedef struct builder {
  tsr_yaml_doc *doc;
  frame *stack;
  size_t depth, cap_stack;
  anchor *anchors;
  size_t n_anchors, cap_anchors;
  size_t merge_budget;
  int documents;
  const char *input; /* the text being parsed */
  size_t input_len;
  const char *file;
  tsr_error *err;
} builder;

static int grow(void **ptr, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 8;
  while (c < need) c *= 2;
  void *p = realloc(*ptr, c * size);
  if (!p) return -1;
  *ptr = p;
  *cap = c;
  return 0;
}

static tsr_status nomem(builder *b) {
  return tsr_error_set(b->err, TSR_ERR_NOMEM, "out of memory reading %s", b->file);
}

static tsr_yaml_node *new_node(builder *b, tsr_yaml_kind kind, const struct fy_mark *m) {
  tsr_yaml_doc *d = b->doc;
  if (grow((void **)&d->all, &d->cap_all, d->n_all + 1, sizeof *d->all)) return NULL;
  tsr_yaml_node *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  d->all[d->n_all++] = n;
  n->kind = kind;
  n->line = m ? m->line + 1 : 1;
  n->col = m ? m->column + 1 : 1;
  return n;
}

static int append_pair(tsr_yaml_node *map, tsr_yaml_node *key, tsr_yaml_node *value) {
  size_t cap = map->cap;
  if (grow((void **)&map->values, &cap, map->n + 1, sizeof *map->values)) return -1;
  if (key) {
    size_t kcap = map->cap;
    if (grow((void **)&map->keys, &kcap, map->n + 1, sizeof *map->keys)) return -1;
    if (kcap != cap) return -1; /* both arrays grow in step */
    map->keys[map->n] = key;
  }
  map->cap = cap;
  map->values[map->n++] = value;
  return 0;
}

static int same_key(const tsr_yaml_node *a, const tsr_yaml_node *b) {
  return a->kind == TSR_YAML_SCALAR && b->kind == TSR_YAML_SCALAR && a->len == b->len &&
         memcmp(a->text, b->text, a->len) == 0;
}

static int is_merge_key(const tsr_yaml_node *k) {
  return k->kind == TSR_YAML_SCALAR && k->plain && k->len == 2 && memcmp(k->text, "<<", 2) == 0;
}

typedef struct key_ref {
  const tsr_yaml_node *key;
  size_t index;
} key_ref;

static int key_ref_cmp(const void *x, const void *y) {
  const key_ref *p = x, *q = y;
  const tsr_yaml_node *a = p->key, *b = q->key;
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->text, b->text, n);
  if (c) return c;
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  /* Same text: keep file order, so the later one is reported. */
  return p->index < q->index ? -1 : 1;
}

/* Refuses a key that appears twice in one mapping (scalar keys only),
 * pointing at the earliest second occurrence. */
static tsr_status check_duplicates(builder *b, tsr_yaml_node *map) {
  size_t n = map->n;
  if (n < 2) return TSR_OK;
  key_ref *refs = malloc(n * sizeof *refs);
  if (!refs) return nomem(b);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (map->keys[i]->kind == TSR_YAML_SCALAR) {
      refs[m].key = map->keys[i];
      refs[m].index = i;
      m++;
    }
  }
  qsort(refs, m, sizeof *refs, key_ref_cmp);
  size_t first = 0, second = SIZE_MAX;
  for (size_t i = 1; i < m; i++) {
    if (same_key(refs[i - 1].key, refs[i].key) && refs[i].index < second) {
      first = refs[i - 1].index;
      second = refs[i].index;
    }
  }
  free(refs);
  if (second == SIZE_MAX) return TSR_OK;
  const tsr_yaml_node *k = map->keys[second];
  return tsr_error_set_at(b->err, TSR_ERR_INPUT, b->file, k->line, k->col,
                          "duplicate key '%s' (first at line %d)", k->text, map->keys[first]->line);
}

/* Applies `<<: *anchor` and `<<: [*a, *b]`: keys of the merged mappings are
 * added unless the mapping has them already (earlier sources win). */
static tsr_status apply_merges(builder *b, tsr_yaml_node *map) {
  int any = 0;
  for (size_t i = 0; i < map->n; i++) any |= is_merge_key(map->keys[i]);
  if (!any) return TSR_OK;
  tsr_yaml_node **keys = map->keys, **values = map->values;
  size_t n = map->n;
  map->keys = map->values = NULL;
  map->n = map->cap = 0;
  tsr_status st = TSR_OK;
  for (size_t i = 0; i < n && st == TSR_OK; i++) {
    if (!is_merge_key(keys[i]) && append_pair(map, keys[i], values[i])) st = nomem(b);
  }
  for (size_t i = 0; i < n && st == TSR_OK; i++) {
    if (!is_merge_key(keys[i])) continue;
    const tsr_yaml_node *v = values[i];
    size_t count = v->kind == TSR_YAML_SEQ ? v->n : 1;
    for (size_t s = 0; s < count && st == TSR_OK; s++) {
      const tsr_yaml_node *src = v->kind == TSR_YAML_SEQ ? v->values[s] : v;
      if (src->kind != TSR_YAML_MAP) {
        st = tsr_error_set_at(b->err, TSR_ERR_INPUT, b->file, src->line, src->col,
                              "a merge key '<<' takes a mapping or a list of mappings");
        break;
      }
      for (size_t k = 0; k < src->n && st == TSR_OK; k++) {
        int present = 0;
        for (size_t e = 0; e < map->n && !present; e++)
          present = same_key(map->keys[e], src->keys[k]);
        if (present) continue;
        if (b->merge_budget == 0) {
          st = tsr_error_set_at(b->err, TSR_ERR_INPUT, b->file, keys[i]->line, keys[i]->col,
                                "merge keys copy more than %d entries in total", MERGE_BUDGET);
        } else if (append_pair(map, src->keys[k], src->values[k])) {
          st = nomem(b);
        } else {
          b->merge_budget--;
        }
      }
    }
  }
  free(keys);
  free(values);
  return st;
}

static tsr_status attach(builder *b, tsr_yaml_node *child, const struct fy_mark *m) {
  if (b->depth == 0) {
    if (b->doc->root) {
      return tsr_error_set_at(b->err, TSR_ERR_INPUT, b->file, m ? m->line + 1 : 1,
                              m ? m->column + 1 : 1, "more than one document");
    }
    b->doc->root = child;
    return TSR_OK;
  }
  frame *f = &b->stack[b->depth - 1];
  if (f->node->kind == TSR_YAML_SEQ) return append_pair(f->node, NULL, child) ? nomem(b) : TSR_OK;
  if (!f->pending_key) {
    f->pending_key = child;
    return TSR_OK;
  }
  tsr_yaml_node *key = f->pending_key;
  f->pending_key = NULL;
  return append_pair(f->node, key, child) ? nomem(b) : TSR_OK;
}

static char *token_text(struct fy_token *t, size_t *len) {
  size_t n = 0;
  const char *s = t ? fy_token_get_text(t, &n) : NULL;
  if (!s) n = 0;
  char *copy = malloc(n + 1);
  if (!copy) return NULL;
  if (n) memcpy(copy, s, n);
  copy[n] = '\0';
  *len = n;
  return copy;
}

/* Single-quoted scalars are unquoted here from the raw input: libfyaml
 * 0.7.12 returns wrong text, and leaks, for runs of five or more '' escapes.
 * YAML 1.2 rules: '' is one quote; a line break with the white space around
 * it folds to a space, and each further empty line to one newline. */
static char *single_quoted_text(const builder *b, struct fy_token *t, size_t *len) {
  const struct fy_mark *s = fy_token_start_mark(t), *e = fy_token_end_mark(t);
  if (!s || !e || e->input_pos < s->input_pos || e->input_pos > b->input_len) {
    return token_text(t, len);
  }
  const char *raw = b->input + s->input_pos;
  size_t n = e->input_pos - s->input_pos, o = 0;
  char *out = malloc(n + 1);
  if (!out) return NULL;
  for (size_t i = 0; i < n;) {
    char c = raw[i];
    if (c == '\'' && i + 1 < n && raw[i + 1] == '\'') {
      out[o++] = '\'';
      i += 2;
    } else if (c == '\n' || c == '\r') {
      while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t')) o--;
      size_t breaks = 0;
      for (;;) {
        i += (raw[i] == '\r' && i + 1 < n && raw[i + 1] == '\n') ? 2 : 1;
        size_t j = i;
        while (j < n && (raw[j] == ' ' || raw[j] == '\t')) j++;
        i = j;
        if (j < n && (raw[j] == '\n' || raw[j] == '\r')) {
          breaks++;
          continue;
        }
        break;
      }
      if (breaks == 0) out[o++] = ' ';
      for (size_t k = 0; k < breaks; k++) out[o++] = '\n';
    } else {
      out[o++] = c;
      i++;
    }
  }
  out[o] = '\0';
  *len = o;
  return out;
}

static tsr_status add_anchor(builder *b, char *name, tsr_yaml_node *node) {
  if (!name) return TSR_OK;
  /* A later anchor of the same name shadows an earlier one (YAML 1.2). */
  if (grow((void **)&b->anchors, &b->cap_anchors, b->n_anchors + 1, sizeof *b->anchors)) {
    free(name);
    return nomem(b);
  }
  b->anchors[b->n_anchors].name = name;
  b->anchors[b->n_anchors].node = node;
  b->n_anchors++;
  return TSR_OK;
}

static tsr_yaml_node *find_anchor(const builder *b, const char *name) {
  for (size_t i = b->n_anchors; i-- > 0;) {
    if (strcmp(b->anchors[i].name, name) == 0) return b->anchors[i].node;
  }
  return NULL;
}

static tsr_status on_event(builder *b, struct fy_event *e) {
  const struct fy_mark *m = fy_event_start_mark(e);
  switch (e->type) {
  case FYET_DOCUMENT_START:
    if (++b->documents > 1) {
      return tsr_error_set_at(b->err, TSR_ERR_INPUT, b->file, m ? m->line + 1 : 1,
                              m ? m->column + 1 : 1,
                              "more than one YAML document (a machine file holds one)");
    }
    return TSR_OK;
  case FYET_MAPPING_START:
  case FYET_SEQUENCE_START: {
    int is_map = e->type == FYET_MAPPING_START;
    tsr_yaml_node *n = new_node(b, is_map ? TSR_YAML_MAP : TSR_YAML_SEQ, m);
    if (!n) return nomem(b);
    struct fy_token *at = is_map ? e->mapping_start.anchor : e->sequence_start.anchor;
    char *aname = NULL;
    if (at) {
      size_t len;
      aname = token_text(at, &len);
      if (!aname) return nomem(b);
    }
    tsr_status st = attach(b, n, m);
    if (st != TSR_OK || grow((void **)&b->stack, &b->cap_stack, b->depth + 1, sizeof *b->stack)) {
      free(aname);
      return st != TSR_OK ? st : nomem(b);
    }
    b->stack[b->depth].node = n;
    b->stack[b->depth].pending_key = NULL;
    b->stack[b->depth].anchor = aname;
    b->depth++;
    return TSR_OK;
  }
  case FYET_MAPPING_END:
  case FYET_SEQUENCE_END: {
    if (b->depth == 0) return tsr_error_set(b->err, TSR_ERR_INTERNAL, "unbalanced YAML events");
    frame f = b->stack[--b->depth];
    tsr_status st = TSR_OK;
    if (f.node->kind == TSR_YAML_MAP) {
      st = check_duplicates(b, f.node);
      if (st == TSR_OK) st = apply_merges(b, f.node);
    }
    if (st != TSR_OK) {
      free(f.anchor);
      return st;
    }
    return add_anchor(b, f.anchor, f.node);
  }
  case FYET_SCALAR: {
    tsr_yaml_node *n = new_node(b, TSR_YAML_SCALAR, m);
    if (!n) return nomem(b);
    enum fy_scalar_style style = fy_token_scalar_style(e->scalar.value);
    n->text = style == FYSS_SINGLE_QUOTED ? single_quoted_text(b, e->scalar.value, &n->len)
                                          : token_text(e->scalar.value, &n->len);
    if (!n->text) return nomem(b);
    n->plain = !e->scalar.tag && style == FYSS_PLAIN;
    /* libfyaml marks a quoted scalar at its first character; point at the
     * opening quote instead, where the reader sees the value start. */
    if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && n->col > 1) n->col--;
    char *aname = NULL;
    if (e->scalar.anchor) {
      size_t len;
      aname = token_text(e->scalar.anchor, &len);
      if (!aname) return nomem(b);
    }
    tsr_status st = attach(b, n, m);
    if (st != TSR_OK) {
      free(aname);
      return st;
    }
    return add_anchor(b, aname, n);
  }
  case FYET_ALIAS: {
    size_t len;
    char *name = token_text(e->alias.anchor, &len);
    if (!name) return nomem(b);
    tsr_yaml_node *target = find_anchor(b, name);
    if (!target) {
      /* The mark is just past the '*'; point at the '*'. */
      tsr_status st = tsr_error_set_at(b->err, TSR_ERR_INPUT, b->file, m ? m->line + 1 : 1,
                                       m && m->column > 0 ? m->column : 1,
                                       "alias '*%s' names no anchor defined before it", name);
      free(name);
      return st;
    }
    free(name);
    return attach(b, target, m);
  }
  default:
    return TSR_OK;
  }
}

/* YAML and JSON text is UTF-8 without control characters other than tab,
 * line feed and carriage return. Checked before libfyaml sees the text: its
 * 0.7.12 scanner can loop forever on invalid UTF-8 in a directive. */
static tsr_status check_text(const char *text, size_t len, const char *file, tsr_error *err) {
  const unsigned char *s = (const unsigned char *)text;
  int line = 1, col = 1;
  for (size_t i = 0; i < len;) {
    unsigned c = s[i];
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    int ok = n > 0 && i + n <= len;
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; ok && k < n; k++) {
      ok = (s[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    /* shortest form only, no surrogates, nothing above U+10FFFF */
    if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
               (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) {
      ok = 0;
    }
    if (!ok) {
      return tsr_error_set_at(err, TSR_ERR_INPUT, file, line, col,
                              "invalid UTF-8 (byte 0x%02x); machine files are UTF-8 text", c);
    }
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F) {
      return tsr_error_set_at(err, TSR_ERR_INPUT, file, line, col,
                              "control character 0x%02x is not allowed in YAML", cp);
    }
    if (cp == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
    i += n;
  }
  return TSR_OK;
}

/* libfyaml diagnostics: collected, never written anywhere. */
static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len) {
  (void)diag;
  (void)user;
  (void)buf;
  (void)len;
}

tsr_status tsr_yaml_parse(const char *text, size_t len, const char *filename, int json,
                          tsr_yaml_doc **out, tsr_error *err) {
  *out = NULL;
  const char *file = filename ? filename : "<string>";
  if (text) {
    tsr_status st = check_text(text, len, file, err);
    if (st != TSR_OK) return st;
  }
  /* Line breaks become "\n" (CRLF and lone CR alike, as YAML reads them):
   * libfyaml 0.7.12 leaks when it folds quoted scalars across CR breaks. */
  char *normal = NULL;
  if (text && memchr(text, '\r', len)) {
    normal = malloc(len + 1);
    if (!normal) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory reading %s", file);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
      if (text[i] != '\r')
        normal[o++] = text[i];
      else if (i + 1 >= len || text[i + 1] != '\n')
        normal[o++] = '\n';
    }
    normal[o] = '\0';
    text = normal;
    len = o;
  }
  tsr_yaml_doc *doc = calloc(1, sizeof *doc);
  if (!doc) {
    free(normal);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory reading %s", file);
  }
  struct fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp = NULL;
  dcfg.output_fn = diag_discard;
  dcfg.user = NULL;
  dcfg.colorize = false;
  struct fy_diag *diag = fy_diag_create(&dcfg);
  if (!diag) {
    free(normal);
    free(doc);
    return tsr_error_set(err, TSR_ERR_NOMEM, "cannot create the YAML diagnostics");
  }
  fy_diag_set_collect_errors(diag, true);
  struct fy_parse_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.flags = FYPCF_QUIET | (json ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
  cfg.diag = diag;
  struct fy_parser *fyp = fy_parser_create(&cfg);
  tsr_status st = TSR_OK;
  if (!fyp || fy_parser_set_string(fyp, text ? text : "", text ? len : 0) != 0) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "cannot create the YAML parser");
  }
  builder b;
  memset(&b, 0, sizeof b);
  b.doc = doc;
  b.input = text ? text : "";
  b.input_len = text ? len : 0;
  b.file = file;
  b.err = err;
  b.merge_budget = MERGE_BUDGET;
  struct fy_event *e;
  while (st == TSR_OK && (e = fy_parser_parse(fyp)) != NULL) {
    st = on_event(&b, e);
    fy_parser_event_free(fyp, e);
  }
  if (st == TSR_OK && fyp && fy_parser_get_stream_error(fyp)) {
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    if (de) {
      st = tsr_error_set_at(err, TSR_ERR_INPUT, file, de->line > 0 ? de->line : 1,
                            de->column > 0 ? de->column : 1, "YAML syntax error: %s",
                            de->msg ? de->msg : "invalid YAML");
    } else {
      st = tsr_error_set_at(err, TSR_ERR_INPUT, file, 1, 1, "YAML syntax error");
    }
  }
  if (st == TSR_OK && b.depth != 0) {
    st = tsr_error_set_at(err, TSR_ERR_INPUT, file, 1, 1, "YAML syntax error: unexpected end");
  }
  for (size_t i = 0; i < b.depth; i++) free(b.stack[i].anchor);
  free(b.stack);
  for (size_t i = 0; i < b.n_anchors; i++) free(b.anchors[i].name);
  free(b.anchors);
  if (fyp) fy_parser_destroy(fyp);
  fy_diag_destroy(diag);
  free(normal);
  if (st != TSR_OK) {
    tsr_yaml_free(doc);
    return st;
  }
  *out = doc;
  return TSR_OK;
}

tsr_yaml_node *tsr_yaml_root(const tsr_yaml_doc *doc) {
  return doc ? doc->root : NULL;
}

void tsr_yaml_free(tsr_yaml_doc *doc) {
  if (!doc) return;
  for (size_t i = 0; i < doc->n_all; i++) {
    tsr_yaml_node *n = doc->all[i];
    free(n->text);
    free(n->keys);
    free(n->values);
    free(n);
  }
  free(doc->all);
  free(doc);
}

const tsr_yaml_node *tsr_yaml_get_key(const tsr_yaml_node *map, const char *key) {
  if (!map || map->kind != TSR_YAML_MAP) return NULL;
  size_t len = strlen(key);
  for (size_t i = 0; i < map->n; i++) {
    const tsr_yaml_node *k = map->keys[i];
    if (k->kind == TSR_YAML_SCALAR && k->len == len && memcmp(k->text, key, len) == 0) return k;
  }
  return NULL;
}

const tsr_yaml_node *tsr_yaml_get(const tsr_yaml_node *map, const char *key) {
  if (!map || map->kind != TSR_YAML_MAP) return NULL;
  size_t len = strlen(key);
  for (size_t i = 0; i < map->n; i++) {
    const tsr_yaml_node *k = map->keys[i];
    if (k->kind == TSR_YAML_SCALAR && k->len == len && memcmp(k->text, key, len) == 0) {
      return map->values[i];
    }
  }
  return NULL;
}

int tsr_yaml_is_null(const tsr_yaml_node *n) {
  if (!n || n->kind != TSR_YAML_SCALAR || !n->plain) return 0;
  return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
         strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}
