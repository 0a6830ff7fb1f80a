/* Module graphs for the partitioner and the pytket-dqc network reader. */
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

tsr_status tsr_module_graph_new(uint32_t nmodules, uint32_t capacity, tsr_module_graph **out,
                                tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_module_graph_new: NULL argument");
  *out = NULL;
  if (nmodules == 0 || nmodules > TSR_MODULE_GRAPH_MAX) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a module graph has 1 to %d modules, not %u",
                         TSR_MODULE_GRAPH_MAX, nmodules);
  }
  tsr_module_graph *g = tsr_calloc(1, sizeof *g, err);
  if (!g) return TSR_ERR_NOMEM;
  g->nmodules = nmodules;
  g->capacity = tsr_calloc(nmodules, sizeof *g->capacity, err);
  g->link_qubits = tsr_calloc(nmodules, sizeof *g->link_qubits, err);
  g->link_cost = tsr_calloc((size_t)nmodules * nmodules, sizeof *g->link_cost, err);
  if (!g->capacity || !g->link_qubits || !g->link_cost) {
    tsr_module_graph_free(g);
    return TSR_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < nmodules; i++) g->capacity[i] = capacity;
  *out = g;
  return TSR_OK;
}

void tsr_module_graph_free(tsr_module_graph *g) {
  if (!g) return;
  free(g->capacity);
  free(g->link_qubits);
  free(g->link_cost);
  free(g);
}

tsr_status tsr_module_graph_link(tsr_module_graph *g, uint32_t a, uint32_t b, double cost,
                                 tsr_error *err) {
  if (!g) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_module_graph_link: NULL graph");
  if (a >= g->nmodules || b >= g->nmodules || a == b) {
    return tsr_error_set(err, TSR_ERR_VALUE, "link %u-%u: modules must be distinct and below %u", a,
                         b, g->nmodules);
  }
  if (!(cost > 0) || !isfinite(cost)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "link %u-%u: cost %g must be positive and finite", a,
                         b, cost);
  }
  g->link_cost[(size_t)a * g->nmodules + b] = cost;
  g->link_cost[(size_t)b * g->nmodules + a] = cost;
  return TSR_OK;
}

tsr_status tsr_module_graph_complete(uint32_t nmodules, uint32_t capacity, tsr_module_graph **out,
                                     tsr_error *err) {
  tsr_status st = tsr_module_graph_new(nmodules, capacity, out, err);
  if (st != TSR_OK) return st;
  for (uint32_t a = 0; a < nmodules; a++)
    for (uint32_t b = a + 1; b < nmodules; b++) tsr_module_graph_link(*out, a, b, 1.0, NULL);
  return TSR_OK;
}

uint64_t tsr_module_graph_capacity(const tsr_module_graph *g) {
  uint64_t s = 0;
  for (uint32_t i = 0; g && i < g->nmodules; i++) s += g->capacity[i];
  return s;
}

int tsr_module_graph_connected(const tsr_module_graph *g) {
  if (!g || g->nmodules == 0) return 0;
  uint32_t n = g->nmodules;
  uint8_t seen[TSR_MODULE_GRAPH_MAX] = {0};
  uint32_t stack[TSR_MODULE_GRAPH_MAX], top = 0, count = 1;
  seen[0] = 1;
  stack[top++] = 0;
  while (top) {
    uint32_t a = stack[--top];
    for (uint32_t b = 0; b < n; b++) {
      if (!seen[b] && g->link_cost[(size_t)a * n + b] > 0) {
        seen[b] = 1;
        count++;
        stack[top++] = b;
      }
    }
  }
  return count == n;
}

/* ------------------------------------------------------------ JSON reader */

typedef struct diag_buf {
  char text[256];
} diag_buf;

static void diag_output(struct fy_diag *diag, void *user, const char *buf, size_t len) {
  (void)diag;
  diag_buf *d = user;
  if (d->text[0]) return; /* keep the first message */
  size_t n = len < sizeof d->text - 1 ? len : sizeof d->text - 1;
  memcpy(d->text, buf, n);
  d->text[n] = 0;
  while (n > 0 && (d->text[n - 1] == '\n' || d->text[n - 1] == '\r')) d->text[--n] = 0;
}

static tsr_status node_error(tsr_error *err, const char *file, struct fy_node *n, const char *fmt,
                             const char *what) {
  int line = 0, col = 0;
  /* the position of the first scalar inside n */
  for (int depth = 0; n && depth < 16; depth++) {
    if (fy_node_is_scalar(n)) {
      struct fy_token *t = fy_node_get_scalar_token(n);
      const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
      if (m) {
        line = m->line + 1;
        col = m->column + 1;
      }
      break;
    }
    if (fy_node_is_sequence(n)) {
      n = fy_node_sequence_get_by_index(n, 0);
    } else if (fy_node_is_mapping(n)) {
      struct fy_node_pair *p = fy_node_mapping_get_by_index(n, 0);
      n = p ? fy_node_pair_key(p) : NULL;
    } else {
      break;
    }
  }
  return tsr_error_set_at(err, TSR_ERR_INPUT, file, line, col, fmt, what);
}

/* Reads a non-negative integer scalar. */
static int scalar_uint(struct fy_node *n, uint64_t *out) {
  if (!n || !fy_node_is_scalar(n)) return 0;
  size_t len;
  const char *s = fy_node_get_scalar(n, &len);
  if (!s || len == 0 || len > 18) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return 1;
}

static int scalar_is_null(struct fy_node *n) {
  if (!n) return 1;
  if (!fy_node_is_scalar(n)) return 0;
  size_t len;
  const char *s = fy_node_get_scalar(n, &len);
  return s && len == 4 && memcmp(s, "null", 4) == 0;
}

tsr_status tsr_module_graph_parse_json(const char *text, size_t len, const char *filename,
                                       tsr_module_graph **out, tsr_error *err) {
  if (!text || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_module_graph_parse_json: NULL");
  *out = NULL;
  const char *file = filename ? filename : "<string>";
  diag_buf dbuf;
  memset(&dbuf, 0, sizeof dbuf);
  struct fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp = NULL;
  dcfg.output_fn = diag_output;
  dcfg.user = &dbuf;
  dcfg.colorize = false;
  struct fy_diag *diag = fy_diag_create(&dcfg);
  if (!diag) return tsr_error_set(err, TSR_ERR_NOMEM, "cannot create a parser diagnostic object");
  fy_diag_set_collect_errors(diag, true);
  struct fy_parse_cfg pcfg;
  memset(&pcfg, 0, sizeof pcfg);
  pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_JSON_FORCE;
  pcfg.diag = diag;
  struct fy_document *doc = fy_document_build_from_string(&pcfg, text, len);
  tsr_status st = TSR_OK;
  tsr_module_graph *g = NULL;
  if (!doc) {
    int line = 0, col = 0;
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    const char *msg = dbuf.text[0] ? dbuf.text : "malformed JSON";
    if (de) {
      line = de->line; /* already 1-based */
      col = de->column;
      if (de->msg) msg = de->msg;
    }
    st = tsr_error_set_at(err, TSR_ERR_INPUT, file, line, col, "%s", msg);
    goto done;
  }
  struct fy_node *root = fy_document_root(doc);
  if (!root || !fy_node_is_mapping(root)) {
    st = node_error(err, file, root, "%s",
                    "a network is a JSON object with \"servers\" and \"links\"");
    goto done;
  }
  struct fy_node *servers = fy_node_mapping_lookup_by_string(root, "servers", FY_NT);
  struct fy_node *links = fy_node_mapping_lookup_by_string(root, "links", FY_NT);
  if (!servers || !fy_node_is_sequence(servers)) {
    st = node_error(err, file, servers ? servers : root, "%s", "\"servers\" must be an array");
    goto done;
  }
  if (links && !fy_node_is_sequence(links)) {
    st = node_error(err, file, links, "%s", "\"links\" must be an array of [a, b] pairs");
    goto done;
  }
  int ns = fy_node_sequence_item_count(servers);
  if (ns <= 0 || ns > TSR_MODULE_GRAPH_MAX) {
    st = node_error(err, file, servers, "the network must have 1 to %s servers", "64");
    goto done;
  }
  st = tsr_module_graph_new((uint32_t)ns, 0, &g, err);
  if (st != TSR_OK) goto done;
  uint8_t seen[TSR_MODULE_GRAPH_MAX] = {0};
  for (int i = 0; i < ns; i++) {
    struct fy_node *s = fy_node_sequence_get_by_index(servers, i);
    if (!fy_node_is_mapping(s)) {
      st = node_error(err, file, s, "%s", "a server is an object with \"id\" and \"qubits\"");
      goto done;
    }
    struct fy_node *nid = fy_node_mapping_lookup_by_string(s, "id", FY_NT);
    struct fy_node *nq = fy_node_mapping_lookup_by_string(s, "qubits", FY_NT);
    struct fy_node *nl = fy_node_mapping_lookup_by_string(s, "link_qubits", FY_NT);
    uint64_t id, q, lq = 0;
    if (!scalar_uint(nid, &id) || id >= (uint64_t)ns) {
      st = node_error(err, file, nid ? nid : s, "%s",
                      "server \"id\" must be an integer from 0 to the server count - 1");
      goto done;
    }
    if (seen[id]) {
      st = node_error(err, file, nid, "%s", "server id is used twice");
      goto done;
    }
    seen[id] = 1;
    if (!scalar_uint(nq, &q) || q > UINT32_MAX) {
      st = node_error(err, file, nq ? nq : s, "%s",
                      "server \"qubits\" must be a non-negative integer");
      goto done;
    }
    if (!scalar_is_null(nl) && (!scalar_uint(nl, &lq) || lq > UINT32_MAX)) {
      st =
          node_error(err, file, nl, "%s", "\"link_qubits\" must be a non-negative integer or null");
      goto done;
    }
    g->capacity[id] = (uint32_t)q;
    g->link_qubits[id] = (uint32_t)lq;
  }
  int nlinks = links ? fy_node_sequence_item_count(links) : 0;
  for (int i = 0; i < nlinks; i++) {
    struct fy_node *l = fy_node_sequence_get_by_index(links, i);
    uint64_t a, b;
    if (!fy_node_is_sequence(l) || fy_node_sequence_item_count(l) != 2 ||
        !scalar_uint(fy_node_sequence_get_by_index(l, 0), &a) ||
        !scalar_uint(fy_node_sequence_get_by_index(l, 1), &b) || a >= (uint64_t)ns ||
        b >= (uint64_t)ns || a == b) {
      st = node_error(err, file, l, "%s", "a link is a pair [a, b] of distinct server ids");
      goto done;
    }
    tsr_module_graph_link(g, (uint32_t)a, (uint32_t)b, 1.0, NULL);
  }
done:
  if (doc) fy_document_destroy(doc);
  fy_diag_destroy(diag);
  if (st != TSR_OK) {
    tsr_module_graph_free(g);
    return st;
  }
  *out = g;
  return TSR_OK;
}

tsr_status tsr_module_graph_read_json(const char *path, tsr_module_graph **out, tsr_error *err) {
  if (!path || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_module_graph_read_json: NULL");
  *out = NULL;
  char *text = NULL;
  size_t len = 0;
  tsr_status st = tsr_read_file(path, &text, &len, err);
  if (st != TSR_OK) return st;
  st = tsr_module_graph_parse_json(text, len, path, out, err);
  free(text);
  return st;
}
