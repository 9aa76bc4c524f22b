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
	cmp	lr, r1
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
	.align	1
	.p2align 2,,3
	.global	insertion_sort
	.syntax unified
	.thumb
	.thumb_func
	.type	insertion_sort, %function
insertion_sort:
	@ args = 0, pretend = 0, frame = 0
	@ frame_needed = 0, uses_anonymous_args = 0
	cmp	r1, #1
	bls	.L47
	push	{r4, r5, lr}
	subs	r4, r0, #4
	mov	r5, r0
	mov	ip, r0
	add	r4, r4, r1, lsl #2
	mov	lr, #1
.L41:
	ldr	r0, [ip, #4]!
	mov	r3, lr
	mov	r2, ip
	b	.L38
.L40:
	subs	r3, r3, #1
	str	r1, [r2], #-4
	beq	.L43
.L38:
	ldr	r1, [r2, #-4]
	cmp	r1, r0
	bhi	.L40
	add	r3, r5, r3, lsl #2
.L39:
	cmp	r4, ip
	str	r0, [r3]
	add	lr, lr, #1
	bne	.L41
	pop	{r4, r5, pc}
.L43:
	mov	r3, r5
	b	.L39
.L47:
	bx	lr
	.size	insertion_sort, .-insertion_sort
	.align	1
	.p2align 2,,3
	.global	fir_q15
	.syntax unified
	.thumb
	.thumb_func
	.type	fir_q15, %function
fir_q15:
	@ args = 4, pretend = 0, frame = 0
	@ frame_needed = 0, uses_anonymous_args = 0
	push	{r4, r5, r6, r7, r8, lr}
	ldr	r7, [sp, #24]
	cbz	r3, .L50
	subs	r4, r2, #2
	sub	r8, r1, #2
	subs	r5, r0, #2
	add	r6, r4, r3, lsl #1
	add	lr, r8, r7, lsl #1
.L52:
	mov	r2, r7
	cbz	r7, .L55
	mov	r3, r8
	mov	r1, r5
	movs	r2, #0
.L53:
	ldrh	r0, [r3, #2]!
	ldrh	ip, [r1, #2]!
	cmp	lr, r3
	smlabb	r2, ip, r0, r2
	bne	.L53
	sbfx	r2, r2, #15, #16
.L55:
	strh	r2, [r4, #2]!	@ movhi
	cmp	r4, r6
	add	r5, r5, #2
	bne	.L52
.L50:
	pop	{r4, r5, r6, r7, r8, pc}
	.size	fir_q15, .-fir_q15
	.align	1
	.p2align 2,,3
	.global	format_u32
	.syntax unified
	.thumb
	.thumb_func
	.type	format_u32, %function
format_u32:
	@ args = 0, pretend = 0, frame = 16
	@ frame_needed = 0, uses_anonymous_args = 0
	push	{r4, r5, lr}
	ldr	r5, .L67
	sub	sp, sp, #20
	mov	ip, r0
	add	lr, sp, #4
	movs	r0, #0
.L62:
	umull	r2, r3, r5, ip
	lsrs	r3, r3, #3
	add	r2, r3, r3, lsl #2
	sub	r2, ip, r2, lsl #1
	mov	r4, ip
	adds	r2, r2, #48
	cmp	r4, #9
	strb	r2, [lr], #1
	add	r0, r0, #1
	mov	ip, r3
	bhi	.L62
	subs	r1, r1, #1
	add	r3, sp, #4
	add	r3, r3, r0
	adds	r4, r1, r0
.L63:
	ldrb	r2, [r3, #-1]!	@ zero_extendqisi2
	strb	r2, [r1, #1]!
	cmp	r1, r4
	bne	.L63
	add	sp, sp, #20
	@ sp needed
	pop	{r4, r5, pc}
.L68:
	.align	2
.L67:
	.word	-858993459
	.size	format_u32, .-format_u32
	.ident	"GCC: (15:12.2.rel1-1) 12.2.1 20221205"
