/*
 * plugins/print.c - libtraceevent print handlers for memmon's main events.
 *
 * Registered on a tep handle, they make libtraceevent's generic output
 * (tep_print_event, as trace-cmd-style dumps use) render page faults and
 * the mmap/brk/munmap pairs in memmon's own words instead of the kernel's
 * "addr: 0x00000000, len: 0x00022000, ..." print formats.  A single
 * tracepoint cannot know a fault's class or a call's result, so the lines
 * are the halves memmon joins ("mmap(0, 139264, rw-, PRIVATE|ANON, fd -1)"
 * then "-> 7f12b7d8f000").  This is a convenience for debugging views; the
 * report's fast path never calls libtraceevent to print.  The spelling is
 * symbolic.c's, called rather than copied.
 */
#include <event-parse.h>
#include <trace-seq.h>

#include "memmon.h"
#include "plugin.h"
#include "plugins/symbolic.h"

/* A field's value, 0 when the event lacks it. */
static uint64_t val(struct tep_event *e, struct tep_record *r, const char *name)
{
	unsigned long long v = 0;
	struct tep_format_field *f = tep_find_field(e, name);
	if (!f || f->offset + f->size > r->size || tep_read_number_field(f, r->data, &v))
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
	(void)ctx;
	p = mm_sym_hex(mm_sym_str(p, "page fault @"), val(e, r, "address"));
	p = mm_sym_str(p, ec & MM_PF_INSTR ? " (X)" : ec & MM_PF_WRITE ? " (W)" : " (R)");
	p = mm_sym_hex(mm_sym_str(p, " ip "), val(e, r, "ip"));
	p = mm_sym_str(p, ec & MM_PF_PROT ? " present" : " not-present");
	return put(s, buf, p);
}

static int print_mmap(struct trace_seq *s, struct tep_record *r, struct tep_event *e, void *ctx)
{
	char buf[MM_SYM_MAX * 4], *p = buf;
	uint64_t off = val(e, r, "off");
	(void)ctx;
	p = mm_sym_hex(mm_sym_str(p, "mmap("), val(e, r, "addr"));
	p = mm_sym_udec(mm_sym_str(p, ", "), val(e, r, "len"));
	p = mm_sym_prot(mm_sym_str(p, ", "), val(e, r, "prot"));
	p = mm_sym_mmap_flags(mm_sym_str(p, ", "), val(e, r, "flags"));
	p = mm_sym_dec(mm_sym_str(p, ", fd "), (int32_t)val(e, r, "fd"));
	if (off)
		p = mm_sym_hex(mm_sym_str(p, ", off "), off);
	*p++ = ')';
	return put(s, buf, p);
}

static int print_brk(struct trace_seq *s, struct tep_record *r, struct tep_event *e, void *ctx)
{
	char buf[MM_SYM_MAX], *p = buf;
	(void)ctx;
	p = mm_sym_hex(mm_sym_str(p, "brk("), val(e, r, "brk"));
	*p++ = ')';
	return put(s, buf, p);
}

static int print_munmap(struct trace_seq *s, struct tep_record *r, struct tep_event *e, void *ctx)
{
	char buf[MM_SYM_MAX], *p = buf;
	(void)ctx;
	p = mm_sym_hex(mm_sym_str(p, "munmap("), val(e, r, "addr"));
	p = mm_sym_udec(mm_sym_str(p, ", "), val(e, r, "len"));
	*p++ = ')';
	return put(s, buf, p);
}

/* Exits: "-> ADDR" for calls returning addresses, "= N" otherwise. */
static int print_ret(struct trace_seq *s, struct tep_record *r, struct tep_event *e, void *ctx)
{
	char buf[MM_SYM_MAX], *p = buf;
	int64_t ret = (int64_t)val(e, r, "ret");
	bool addr = ctx != NULL;
	p = mm_sym_str(p, addr ? "-> " : "= ");
	if (mm_sym_is_err(ret))
		p = mm_sym_errno(p, ret);
	else
		p = addr ? mm_sym_hex(p, (uint64_t)ret) : mm_sym_dec(p, ret);
	return put(s, buf, p);
}

static char returns_addr;   /* its address marks print_ret's "-> " events */

static const struct {
	const char *system, *name;
	tep_event_handler_func fn;
	void *ctx;
} handlers[] = {
	{ "exceptions", "page_fault_user", print_fault, NULL },
	{ "syscalls", "sys_enter_mmap", print_mmap, NULL },
	{ "syscalls", "sys_exit_mmap", print_ret, &returns_addr },
	{ "syscalls", "sys_enter_brk", print_brk, NULL },
	{ "syscalls", "sys_exit_brk", print_ret, &returns_addr },
	{ "syscalls", "sys_enter_munmap", print_munmap, NULL },
	{ "syscalls", "sys_exit_munmap", print_ret, NULL },
};

int mm_plugins_register_print(struct tep_handle *tep)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (!tep_find_event_by_name(tep, handlers[i].system, handlers[i].name))
			continue;            /* absent from this trace: nothing to render */
		if (tep_register_event_handler(tep, -1, handlers[i].system, handlers[i].name,
					       handlers[i].fn, handlers[i].ctx) < 0)
			return mm_error("cannot register a print handler for %s:%s",
					handlers[i].system, handlers[i].name);
	}
	return 0;
}
