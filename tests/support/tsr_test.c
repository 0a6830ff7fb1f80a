/* Test support: data paths and directory listings for the test programs. */
#include "tsr_test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int tsr_test_shared_path(char *buf, size_t size, const char *relative) {
  snprintf(buf, size, "%s/%s", TSR_SHARED_DIR, relative);
  struct stat st;
  return stat(buf, &st) == 0;
}

const char *tsr_test_source_path(char *buf, size_t size, const char *relative) {
  snprintf(buf, size, "%s/%s", TSR_SOURCE_DIR, relative);
  return buf;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tsr_test_list_files(const char *dir, const char *suffix, char ***out) {
  *out = NULL;
  DIR *d = opendir(dir);
  if (!d) return 0;
  size_t n = 0, cap = 0;
  char **list = NULL;
  size_t slen = strlen(suffix);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < slen || strcmp(e->d_name + len - slen, suffix) != 0) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **grown = realloc(list, cap * sizeof *list);
      if (!grown) break;
      list = grown;
    }
    size_t need = strlen(dir) + len + 2;
    list[n] = malloc(need);
    if (!list[n]) break;
    snprintf(list[n], need, "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (n) qsort(list, n, sizeof *list, compare_strings);
  *out = list;
  return n;
}

void tsr_test_free_list(char **list, size_t n) {
  for (size_t i = 0; i < n; i++) free(list[i]);
  free(list);
}
