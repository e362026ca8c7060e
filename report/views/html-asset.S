/*
 * report/views/html-asset.S - the --html page (report/views/html/page.html)
 * built into the binary as it is, so the page ships with memmon and the
 * view needs no file at run time: mm_html_page .. mm_html_page_end.
 */
	.section .rodata
	.global mm_html_page
	.global mm_html_page_end
mm_html_page:
	.incbin "report/views/html/page.html"
mm_html_page_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
