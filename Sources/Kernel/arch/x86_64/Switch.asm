; Thread context switch and the first frame of a new thread (sched/Scheduler.swift).
;
; hermit_switch is an ordinary call, so the System V AMD64 ABI (§3.2.1, "Registers")
; already makes the caller save rax, rcx, rdx, rsi, rdi, r8-r11 and every xmm
; register and the x87 stack: only the callee-saved registers rbx, rbp, r12-r15,
; rsp, the MXCSR control bits and the x87 control word survive a call, and those
; are exactly what we save. No fxsave is needed here. A thread preempted by the
; timer entered Trap.asm first, which saved all its registers and its whole SSE
; state (fxsave) on its own stack before the handler called into the scheduler.
;
; Entry state: 64-bit mode, interrupts disabled, the scheduler's lock held.
; Calling convention: System V AMD64.

bits 64
section .text

global hermit_switch, hermit_thread_start_address
extern kernel_thread_entry

; void hermit_switch(uint64_t *save, uint64_t target): pushes the callee-saved
; registers, stores rsp in *save, loads rsp = target and pops the target's.
; Frame, lowest address first: mxcsr (4 bytes), fcw (2, padded), r15 r14 r13 r12
; rbx rbp, return address (Thread.swift builds the same frame for a new thread).
hermit_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    stmxcsr [rsp]
    fnstcw [rsp + 4]
    mov [rdi], rsp
    mov rsp, rsi
    ldmxcsr [rsp]
    fldcw [rsp + 4]
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; A new thread's first `ret` lands here: call kernel_thread_entry on an aligned
; stack with rbp = 0, which ends backtraces. It never returns.
thread_start:
    xor ebp, ebp
    and rsp, -16
    call kernel_thread_entry
    ud2

; uint64_t hermit_thread_start_address(void)
hermit_thread_start_address:
    lea rax, [rel thread_start]
    ret
