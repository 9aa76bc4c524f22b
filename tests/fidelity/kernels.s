	.cpu cortex-m4
	.arch armv7e-m
	.fpu fpv4-sp-d16
	.eabi_attribute 27, 1
	.eabi_attribute 28, 1
	.eabi_attribute 20, 1
	.eabi_attribute 21, 1
	.eabi_attribute 23, 3
	.eabi_attribute 24, 1
	.eabi_attribute 25, 1
	.eabi_attribute 26, 1
	.eabi_attribute 30, 2
	.eabi_attribute 34, 1
	.eabi_attribute 18, 4
	.file	"kernels.c"
	.text
	.align	1
	.p2align 2,,3
	.global	crc32
	.syntax unified
	.thumb
	.thumb_func
	.type	crc32, %function
crc32:
	@ args = 0, pretend = 0, frame = 0
	@ frame_needed = 0, uses_anonymous_args = 0
	cbz	r1, .L5
	push	{lr}
	add	lr, r0, #-1
	ldr	r0, .L13
	mvn	ip, r2
	add	r1, r1, lr
.L4:
	ldrb	r3, [lr, #1]!	@ zero_extendqisi2
	movs	r2, #8
	eor	ip, ip, r3
.L3:
	sbfx	r3, ip, #0, #1
	ands	r3, r3, r0
	subs	r2, r2, #1
	eor	ip, r3, ip, lsr #1
	bne	.L3
	cmp	r1, lr
	bne	.L4
	mvn	r0, ip
	ldr	pc, [sp], #4
.L5:
	mov	r0, r2
	bx	lr
.L14:
	.align	2
.L13:
	.word	-306674912
	.size	crc32, .-crc32
	.align	1
	.p2align 2,,3
	.global	count
	.syntax unified
	.thumb
	.thumb_func
	.type	count, %function
count:
	@ args = 0, pretend = 0, frame = 0
	@ frame_needed = 0, uses_anonymous_args = 0
	@ link register save eliminated.
	cbz	r0, .L16
	movs	r3, #0
.L17:
	add	r1, r1, r3
	adds	r3, r3, #1
	cmp	r0, r3
	bne	.L17
.L16:
	mov	r0, r1
	bx	lr
	.size	count, .-count
	.align	1
	.p2align 2,,3
	.global	copy_words
	.syntax unified
	.thumb
	.thumb_func
	.type	copy_words, %function
copy_words:
	@ args = 0, pretend = 0, frame = 0
	@ frame_needed = 0, uses_anonymous_args = 0
	@ link register save eliminated.
	cbz	r2, .L22
	subs	r1, r1, #4
	subs	r0, r0, #4
	add	r2, r1, r2, lsl #2
.L24:
	ldr	r3, [r1, #4]!
	str	r3, [r0, #4]!
	cmp	r1, r2
	bne	.L24
.L22:
	bx	lr
	.size	copy_words, .-copy_words
	.align	1
	.p2align 2,,3
	.global	dot
	.syntax unified
	.thumb
	.thumb_func
	.type	dot, %function
dot:
	@ args = 0, pretend = 0, frame = 0
	@ frame_needed = 0, uses_anonymous_args = 0
	@ link register save eliminated.
	vldr.32	s0, .L34
	cbz	r2, .L32
	add	r2, r0, r2, lsl #2
.L31:
	vldmia.32	r0!, {s14}
	vldmia.32	r1!, {s15}
	cmp	r0, r2
	vfma.f32	s0, s14, s15
	bne	.L31
	bx	lr
.L32:
	bx	lr
.L35:
	.align	2
.L34:
	.word	0
	.size	dot, .-dot
	.ident	"GCC: (15:12.2.rel1-1) 12.2.1 20221205"
