/*
 * LD_PRELOAD shim for linux.uml (Debian's 6.1 UML) on hosts whose CPUs
 * have a larger XSAVE area than UML knows (AVX-512, AMX). UML saves and
 * restores a guest task's FPU state with PTRACE_GETREGSET / SETREGSET
 * NT_X86_XSTATE and a buffer of its own fixed size; newer host kernels
 * refuse a SETREGSET shorter than the whole XSAVE area with EFAULT, and
 * the guest panics at init ("userspace - ptrace set fp regs failed,
 * errno = 14"). Here both calls go through a buffer of the host's full
 * size: GET copies out the part UML asked for, SET fills the rest with the
 * task's current state (only threads sharing one address space could see
 * each other's upper AVX-512 / AMX registers, which no test relies on).
 * Where UML's size is already enough, SET is passed through unchanged.
 * Built and preloaded by run.sh; test-bed only, never installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long (*ptrace_fn)(int req, pid_t pid, void *addr, void *data);

long ptrace(enum __ptrace_request req, ...)
{
	static ptrace_fn real;
	static __thread char full[65536] __attribute__((aligned(64)));
	struct iovec fiov = {full, sizeof(full)}, *iov;
	void *addr, *data;
	va_list ap;
	pid_t pid;
	size_t n;
	long r;

	va_start(ap, req);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	if ((req != PTRACE_GETREGSET && req != PTRACE_SETREGSET) || (long)addr != NT_X86_XSTATE)
		return real(req, pid, addr, data);
	iov = data;
	/* The kernel shortens fiov.iov_len to the host's XSAVE size. */
	r = real(PTRACE_GETREGSET, pid, addr, &fiov);
	if (r < 0)
		return r;
	if (req == PTRACE_GETREGSET) {
		n = iov->iov_len < fiov.iov_len ? iov->iov_len : fiov.iov_len;
		memcpy(iov->iov_base, full, n);
		iov->iov_len = n;
		return 0;
	}
	if (iov->iov_len >= fiov.iov_len)
		return real(req, pid, addr, data);
	memcpy(full, iov->iov_base, iov->iov_len);
	return real(PTRACE_SETREGSET, pid, addr, &fiov);
}
