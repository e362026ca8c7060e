# What the kernel offers: candidate fault handlers in kallsyms and
# available_filter_functions, which kprobes it accepts, event formats.
TR=/sys/kernel/tracing
O=/out/explore; mkdir -p $O
cands="handle_mm_fault __handle_mm_fault handle_pte_fault do_anonymous_page do_fault do_read_fault do_cow_fault do_shared_fault do_swap_page do_wp_page wp_page_copy wp_page_reuse wp_page_shared wp_can_reuse_anon_folio finish_fault do_set_pte filemap_fault filemap_map_pages shmem_fault do_huge_pmd_anonymous_page do_huge_pmd_wp_page vma_alloc_folio alloc_anon_folio folio_add_new_anon_rmap page_add_new_anon_rmap do_page_mkwrite fault_dirty_shared_page set_pte_range do_numa_page handle_userfault __do_fault do_fault_around should_fault_around alloc_zeroed_user_highpage_movable __alloc_pages vmf_insert_page do_user_addr_fault exc_page_fault lru_cache_add_inactive_or_unevictable folio_add_lru_vma swap_readpage swapin_readahead mm_account_fault count_vm_event"
for s in $cands; do
	k=$(grep -E " $s(\.[a-z0-9.]+)?$" /proc/kallsyms | awk '{print $2":"$3}' | paste -sd, -)
	f=$(grep -cE "^$s( |$)" $TR/available_filter_functions)
	if echo "p:memmon_explore/t $s" >>$TR/kprobe_events 2>/dev/null; then p=yes; echo "-:memmon_explore/t" >>$TR/kprobe_events
	else p=no; fi
	if echo "r:memmon_explore/r $s ret=\$retval:x64" >>$TR/kprobe_events 2>/dev/null; then r=yes; echo "-:memmon_explore/r" >>$TR/kprobe_events
	else r=no; fi
	echo "$s kallsyms=${k:-none} filter_functions=$f kprobe=$p kretprobe=$r"
done | tee $O/probes.txt
cat $TR/kprobe_events
# the formats of every event record enables here (memmon list), ftrace's
# print (record's notes) and raw_syscalls (older traces): the layout of
# tests/data/formats-6.1/
/memmon/build/memmon list >$O/list.txt 2>&1
for e in $(awk '$1 == "present" { print $2 }' $O/list.txt) ftrace:print raw_syscalls:sys_enter; do
	sys=${e%%:*} name=${e#*:}
	if [ "$sys" = syscalls ]; then set -- sys_enter_$name sys_exit_$name; else set -- $name; fi
	for n; do
		mkdir -p $O/formats/$sys
		cp $TR/events/$sys/$n/format $O/formats/$sys/$n 2>/dev/null || echo "absent: $sys/$n"
	done
done
cp $TR/events/header_page $TR/events/header_event $O/formats/
ls $TR/events/filemap $TR/events/exceptions
ls $TR/options | paste -sd' '
grep -c . /proc/kallsyms
