/*
 * plugins/traceevent/plugin_memmon.c - memmon's print handlers as a
 * libtraceevent plugin (plugin_memmon.so), so that `trace-cmd report`, and
 * any other tool that loads libtraceevent's plugins, renders page faults
 * and the memory syscalls as memmon's log does:
 *
 *     anon-touch-352 [001] 24324.931: page_fault_user: page fault @7f70c4cd1000 (W) ip 55d0c0a1b1c9 not-present
 *     anon-touch-352 [001] 24324.931: sys_enter_mmap: mmap(0, 262144, rw-, PRIVATE|ANON, fd -1)
 *
 * The handlers are plugins/print.c's (built into this library with
 * symbolic.c, nothing else of memmon); `make install` puts the library in
 * libtraceevent's plugin directory, TRACEEVENT_PLUGIN_DIR points it
 * elsewhere (Documentation/memmon.1, FILES).
 */
#include <event-parse.h>

#include "plugins/decoder.h"

int TEP_PLUGIN_LOADER(struct tep_handle *tep);
void TEP_PLUGIN_UNLOADER(struct tep_handle *tep);

__attribute__((visibility("default")))
int TEP_PLUGIN_LOADER(struct tep_handle *tep)
{
	return mm_plugins_register_print(tep) < 0 ? -1 : 0;
}

__attribute__((visibility("default")))
void TEP_PLUGIN_UNLOADER(struct tep_handle *tep)
{
	mm_plugins_unregister_print(tep);
}
