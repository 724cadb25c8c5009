/* bsrun-init (src/init/main.c), built static, embedded whole (initexec.c). */
	.section .rodata
	.balign 16
	.globl bs_init_blob
	.globl bs_init_blob_end
bs_init_blob:
	.incbin BSRUN_INIT_PATH
bs_init_blob_end:
	.section .note.GNU-stack,"",@progbits
