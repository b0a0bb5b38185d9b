/*
 * FaultTolerant guest SDK: Linux riscv64 process entry point.
 *
 * At entry (Linux ELF ABI): sp -> argc, argv[0..argc-1], NULL,
 * envp[...], NULL, auxv pairs (AT_NULL terminated).  All other registers
 * are ignored (a0 is not used as an rtld_fini pointer; there is no dynamic
 * linker).
 *
 * _start sets gp (for linker relaxation) and tp (the single thread's TLS
 * block, used by picolibc's errno), aligns sp and hands the original sp to
 * __ft_start (crt1.c), which never returns.
 */
    .section .text._start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      tp, __tls_base
    mv      a0, sp
    andi    sp, sp, -16
    mv      ra, zero
    mv      s0, zero
    call    __ft_start
    /* not reached: exit_group(127) */
    li      a0, 127
    li      a7, 94
    ecall
1:  j       1b
    .size _start, . - _start
