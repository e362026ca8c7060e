/*
 * plugins/print.c - libtraceevent print handlers for memmon's events.
 *
 * Registered on a tep handle, they make libtraceevent's generic output
 * (tep_print_event, as trace-cmd-style dumps use) render page faults and
 * the memory system calls in memmon's own words instead of the kernel's
 * "start: 0x7f.., len: 0x22000, ..." print formats.  Two users: memmon
 * itself (debugging views, tests), and the libtraceevent plugin
 * plugins/traceevent/plugin_memmon.c, through which `trace-cmd report`
 * shows the same lines.  A single tracepoint cannot know a fault's class
 * or a call's result, so the lines are the halves memmon joins
 * ("mmap(0, 139264, rw-, PRIVATE|ANON, fd -1)" then "-> 7f12b7d8f000").
 * The report's fast path never calls libtraceevent to print.  The spelling
 * is symbolic.c's, called rather than copied.
 *
 * Nothing here may call into the rest of memmon but symbolic.c: the
 * plugin is built from this file and symbolic.c alone.
 */
#include <event-parse.h>
#include <trace-seq.h>

#include "plugins/decoder.h"
#include "plugins/symbolic.h"

/* A field's value, 0 when the event lacks it or the record is too short. */
static uint64_t val(struct tep_event *e, struct tep_record *r, const char *name)
{
	unsigned long long v = 0;
	struct tep_format_field *f = tep_find_field(e, name);
	if (!f || f->offset < 0 || f->size < 0 || f->offset + f->size > r->size ||
	    tep_read_number_field(f, r->data, &v))
		return 0;
	return v;
}

static int put(struct trace_seq *s, const char *buf, const char *end)
{
	trace_seq_printf(s, "%.*s", (int)(end - buf), buf);
	return 0;
}

static int print_fault(struct trace_seq *s, struct tep_record *r, struct tep_event *e, void *ctx)
{
	char buf[MM_SYM_MAX * 2], *p = buf;
	uint64_t ec = val(e, r, "error_code");
	p = mm_sym_hex(mm_sym_str(p, "page fault @"), val(e, r, "address"));
	p = mm_sym_str(p, ec & MM_PF_INSTR ? " (X" : ec & MM_PF_WRITE ? " (W" : " (R");
	p = mm_sym_str(p, ctx ? ", kernel)" : ")");
	p = mm_sym_hex(mm_sym_str(p, " ip "), val(e, r, "ip"));
	p = mm_sym_str(p, ec & MM_PF_PROT ? " present" : " not-present");
	return put(s, buf, p);
}

/* How one argument is spelled. */
enum arg_kind { A_HEX, A_UDEC, A_DEC, A_PROT, A_MAP, A_MREMAP, A_MADV, A_MSYNC, A_MLOCK2,
		A_MLOCKALL, A_SHMGET, A_SHMAT, A_SHMCTL, A_FD, A_CLONE, A_MEMFD };

struct arg {
	const char *field;       /* NULL ends the list */
	enum arg_kind kind;
};

struct call {
	const char *name;        /* syscall, as the log writes it */
	bool returns_addr;       /* "-> ADDR" rather than "= N" */
	struct arg args[6];
};

static char *arg(char *p, enum arg_kind k, uint64_t v)
{
	switch (k) {
	case A_HEX: return mm_sym_hex(p, v);
	case A_UDEC: return mm_sym_udec(p, v);
	case A_DEC: return mm_sym_dec(p, (int32_t)v);
	case A_PROT: return mm_sym_prot(p, v);
	case A_MAP: return mm_sym_mmap_flags(p, v);
	case A_MREMAP: return mm_sym_mremap_flags(p, v);
	case A_MADV: return mm_sym_madvise(p, (int32_t)v);
	case A_MSYNC: return mm_sym_msync_flags(p, v);
	case A_MLOCK2: return mm_sym_mlock2_flags(p, v);
	case A_MLOCKALL: return mm_sym_mlockall_flags(p, v);
	case A_SHMGET: return mm_sym_shmget_flags(p, v);
	case A_SHMAT: return mm_sym_shmat_flags(p, v);
	case A_SHMCTL: return mm_sym_shmctl_cmd(p, (int32_t)v);
	case A_FD: return mm_sym_dec(mm_sym_str(p, "fd "), (int32_t)v);
	case A_CLONE: return mm_sym_clone_flags(p, v);
	case A_MEMFD: return mm_sym_memfd_flags(p, v);
	}
	return p;
}

/* The memory calls, arguments in the kernel's order and memmon's words. */
static const struct call calls[] = {
	{ "mmap", true, { { "addr", A_HEX }, { "len", A_UDEC }, { "prot", A_PROT },
			  { "flags", A_MAP }, { "fd", A_FD } } },
	{ "brk", true, { { "brk", A_HEX } } },
	{ "munmap", false, { { "addr", A_HEX }, { "len", A_UDEC } } },
	{ "mremap", true, { { "addr", A_HEX }, { "old_len", A_UDEC }, { "new_len", A_UDEC },
			    { "flags", A_MREMAP }, { "new_addr", A_HEX } } },
	{ "mprotect", false, { { "start", A_HEX }, { "len", A_UDEC }, { "prot", A_PROT } } },
	{ "pkey_mprotect", false, { { "start", A_HEX }, { "len", A_UDEC }, { "prot", A_PROT },
				    { "pkey", A_DEC } } },
	{ "madvise", false, { { "start", A_HEX }, { "len_in", A_UDEC }, { "behavior", A_MADV } } },
	{ "msync", false, { { "start", A_HEX }, { "len", A_UDEC }, { "flags", A_MSYNC } } },
	{ "mlock", false, { { "start", A_HEX }, { "len", A_UDEC } } },
	{ "mlock2", false, { { "start", A_HEX }, { "len", A_UDEC }, { "flags", A_MLOCK2 } } },
	{ "munlock", false, { { "start", A_HEX }, { "len", A_UDEC } } },
	{ "mlockall", false, { { "flags", A_MLOCKALL } } },
	{ "munlockall", false, { { NULL, 0 } } },
	{ "shmget", false, { { "key", A_HEX }, { "size", A_UDEC }, { "shmflg", A_SHMGET } } },
	{ "shmat", true, { { "shmid", A_DEC }, { "shmaddr", A_HEX }, { "shmflg", A_SHMAT } } },
	{ "shmdt", false, { { "shmaddr", A_HEX } } },
	{ "shmctl", false, { { "shmid", A_DEC }, { "cmd", A_SHMCTL } } },
	{ "memfd_create", false, { { "uname", A_HEX }, { "flags", A_MEMFD } } },
	{ "mseal", false, { { "start", A_HEX }, { "len", A_UDEC }, { "flags", A_HEX } } },
	{ "process_madvise", false, { { "pidfd", A_DEC }, { "vec", A_HEX }, { "vlen", A_UDEC },
				      { "behavior", A_MADV }, { "flags", A_HEX } } },
	{ "remap_file_pages", false, { { "start", A_HEX }, { "size", A_UDEC }, { "prot", A_PROT },
				       { "pgoff", A_UDEC }, { "flags", A_MAP } } },
	/* the process calls: the tracepoint has the user pointers, not the
	 * path or the arguments (memmon's log takes the path from its notes) */
	{ "execve", false, { { "filename", A_HEX }, { "argv", A_HEX }, { "envp", A_HEX } } },
	{ "clone", false, { { "clone_flags", A_CLONE }, { "newsp", A_HEX } } },
	{ "clone3", false, { { "uargs", A_HEX }, { "size", A_UDEC } } },
	{ "fork", false, { { NULL, 0 } } },
	{ "vfork", false, { { NULL, 0 } } },
	{ "exit_group", false, { { "error_code", A_DEC } } },
};
#define NR_CALLS (sizeof(calls) / sizeof(calls[0]))

/* "NAME(ARG, ARG, ...)", and mmap's offset when it has one. */
static int print_enter(struct trace_seq *s, struct tep_record *r, struct tep_event *e, void *ctx)
{
	const struct call *c = ctx;
	char buf[MM_SYM_MAX * 8], *p = mm_sym_str(buf, c->name);
	*p++ = '(';
	for (const struct arg *a = c->args; a < c->args + 6 && a->field; a++) {
		if (a != c->args)
			p = mm_sym_str(p, ", ");
		p = arg(p, a->kind, val(e, r, a->field));
	}
	if (c == &calls[0] && val(e, r, "off"))
		p = mm_sym_hex(mm_sym_str(p, ", off "), val(e, r, "off"));
	*p++ = ')';
	return put(s, buf, p);
}

/* Exits: "-> ADDR" for calls returning addresses, "= N" otherwise. */
static int print_exit(struct trace_seq *s, struct tep_record *r, struct tep_event *e, void *ctx)
{
	const struct call *c = ctx;
	char buf[MM_SYM_MAX], *p = buf;
	int64_t ret = (int64_t)val(e, r, "ret");
	p = mm_sym_str(p, c->returns_addr ? "-> " : "= ");
	if (mm_sym_is_err(ret))
		p = mm_sym_errno(p, ret);
	else
		p = c->returns_addr ? mm_sym_hex(p, (uint64_t)ret) : mm_sym_dec(p, ret);
	return put(s, buf, p);
}

static char kernel_mode;    /* its address marks print_fault's kernel-mode events */

/* Each handler of TEP in turn: REG true registers, false unregisters.
 * libtraceevent keeps a handler for an event it has not parsed yet and
 * binds it when the format comes: trace-cmd loads plugins before it reads
 * a file's formats. */
static int each_handler(struct tep_handle *tep, bool reg)
{
	char name[64];
	int ret = 0;

	for (size_t i = 0; i < 2 + 2 * NR_CALLS; i++) {
		const char *sys = i < 2 ? "exceptions" : "syscalls";
		tep_event_handler_func fn;
		void *ctx;

		if (i < 2) {
			snprintf(name, sizeof(name), i ? "page_fault_kernel" : "page_fault_user");
			fn = print_fault;
			ctx = i ? &kernel_mode : NULL;
		} else {
			const struct call *c = &calls[(i - 2) / 2];
			bool exit = (i - 2) % 2;
			snprintf(name, sizeof(name), "sys_%s_%s", exit ? "exit" : "enter", c->name);
			fn = exit ? print_exit : print_enter;
			ctx = (void *)c;
		}
		if (!reg)
			tep_unregister_event_handler(tep, -1, sys, name, fn, ctx);
		else if (tep_register_event_handler(tep, -1, sys, name, fn, ctx) < 0)
			ret = -1;
	}
	return ret;
}

int mm_plugins_register_print(struct tep_handle *tep)
{
	return each_handler(tep, true);
}

void mm_plugins_unregister_print(struct tep_handle *tep)
{
	each_handler(tep, false);
}
