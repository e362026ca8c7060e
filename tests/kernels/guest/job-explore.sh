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
for e in exceptions/page_fault_user exceptions/page_fault_kernel kmem/rss_stat kmem/mm_page_alloc kmem/mm_page_free \
	 filemap/mm_filemap_fault filemap/mm_filemap_map_pages sched/sched_process_fork sched/sched_process_exec \
	 sched/sched_process_exit task/task_newtask task/task_rename; do
	mkdir -p $O/formats/${e%/*}
	cp $TR/events/$e/format $O/formats/$e 2>/dev/null || echo "absent: $e"
done
cp $TR/events/header_page $TR/events/header_event $O/formats/
mkdir -p $O/formats/syscalls
for f in $TR/events/syscalls/sys_*_{brk,mmap,munmap,mremap,mprotect,madvise,mlock,mlock2,munlock,mlockall,munlockall,msync,shmget,shmat,shmdt,shmctl,memfd_create,execve,exit_group,clone,clone3,fork,vfork,fsync}; do
	[ -d $f ] && cp $f/format $O/formats/syscalls/$(basename $f)
done
ls $TR/events/filemap $TR/events/exceptions
ls $TR/options | paste -sd' '
grep -c . /proc/kallsyms
