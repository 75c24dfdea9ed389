/* mem.c: huge-page-backed, pre-faulted table allocation, and read-only file mappings (see
 * mem.h). Setup and recovery time only. */
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

#define HUGE_PAGE_BYTES (2u << 20)
#define PAGE_BYTES 4096u

static size_t mapped_bytes(size_t bytes)
{
	size_t unit = bytes >= HUGE_PAGE_BYTES ? HUGE_PAGE_BYTES : PAGE_BYTES;
	return (bytes + unit - 1) / unit * unit;
}

void *oc_mem_table_alloc(size_t bytes)
{
	if (bytes == 0)
		bytes = 1;
	size_t len = mapped_bytes(bytes);
	size_t slack = len >= HUGE_PAGE_BYTES ? HUGE_PAGE_BYTES : 0;
	unsigned char *raw = mmap(NULL, len + slack, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	/* Align to a huge page so the kernel can back the region with them. */
	uintptr_t start = (uintptr_t)raw;
	if (slack)
		start = (start + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
	size_t head = start - (uintptr_t)raw;
	if (head)
		munmap(raw, head);
	if (slack - head)
		munmap((unsigned char *)start + len, slack - head);
	if (slack)
		madvise((void *)start, len, MADV_HUGEPAGE); /* advice: failure is harmless */
	memset((void *)start, 0, len); /* fault every page in now */
	return (void *)start;
}

void oc_mem_table_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, mapped_bytes(bytes ? bytes : 1));
}

int oc_mem_map_file(const char *path, struct oc_mapped_file *out, char *err, size_t err_bytes)
{
	*out = (struct oc_mapped_file){NULL, 0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return oc_error_set(err, err_bytes, -e, "%s: %s", path, strerror(e));
	}
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			int e = errno;
			close(fd);
			return oc_error_set(err, err_bytes, -e, "%s: mmap: %s", path, strerror(e));
		}
		madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL); /* advice: failure is harmless */
		*out = (struct oc_mapped_file){p, (size_t)st.st_size};
	}
	close(fd);
	return 0;
}

void oc_mem_unmap_file(struct oc_mapped_file *m)
{
	if (m->data)
		munmap((void *)m->data, m->bytes);
	*m = (struct oc_mapped_file){NULL, 0};
}
