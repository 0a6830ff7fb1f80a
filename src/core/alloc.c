/* Allocation wrappers that report failure as an error value, and the
 * machine's memory size (to refuse states that cannot fit before trying). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/core.h"

void *tsr_malloc(size_t size, tsr_error *err) {
  void *p = malloc(size ? size : 1);
  if (!p) tsr_error_set(err, TSR_ERR_NOMEM, "out of memory allocating %zu bytes", size);
  return p;
}

void *tsr_calloc(size_t count, size_t size, tsr_error *err) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p)
    tsr_error_set(err, TSR_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
  return p;
}

void *tsr_realloc(void *ptr, size_t count, size_t size, tsr_error *err) {
  if (size && count > SIZE_MAX / size) {
    tsr_error_set(err, TSR_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  size_t total = count * size;
  void *p = realloc(ptr, total ? total : 1);
  if (!p) tsr_error_set(err, TSR_ERR_NOMEM, "out of memory allocating %zu bytes", total);
  return p;
}

void *tsr_aligned_alloc(size_t size, tsr_error *err) {
  void *p = NULL;
  if (posix_memalign(&p, 64, size ? size : 64) != 0) {
    tsr_error_set(err, TSR_ERR_NOMEM, "out of memory allocating %zu aligned bytes", size);
    return NULL;
  }
  return p;
}

void tsr_aligned_free(void *ptr) {
  free(ptr);
}

char *tsr_strdup(const char *s, tsr_error *err) {
  size_t n = strlen(s) + 1;
  char *p = tsr_malloc(n, err);
  if (p) memcpy(p, s, n);
  return p;
}

uint64_t tsr_memory_total_bytes(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return (pages > 0 && page > 0) ? (uint64_t)pages * (uint64_t)page : 0;
}

/* MemAvailable from /proc/meminfo (the kernel's estimate of what can be
 * allocated without swapping); falls back to the total. */
uint64_t tsr_memory_available_bytes(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (f) {
    char line[256];
    unsigned long long kb;
    while (fgets(line, sizeof line, f)) {
      if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
        fclose(f);
        return (uint64_t)kb * 1024u;
      }
    }
    fclose(f);
  }
  return tsr_memory_total_bytes();
}
