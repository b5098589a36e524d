/* Embeds the BPF object that `make bpf` compiles into .build/bpf/, so the
 * sensor is one file to deploy. The object is found through the target's
 * header search path (see Package.swift); the Makefile touches this file
 * whenever the object changes so that it is assembled again. */
	.section .rodata
	.global rarenet_bpf_object_start
	.global rarenet_bpf_object_end
	.balign 8
rarenet_bpf_object_start:
	.incbin "rarenet.bpf.o"
rarenet_bpf_object_end:
	.section .note.GNU-stack,"",@progbits
