; Interrupt and exception entry stubs, one per vector, and the common path that
; saves the interrupted state and calls kernel_trap (Interrupts.swift).
;
; Spec: Intel SDM vol. 3 §6.12 (exception- and interrupt-handling), §6.14.2
; (64-bit mode stack frame), Table 6-1 (which exceptions push an error code).
;
; Frame handed to kernel_trap (rdi), lowest address first:
;   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax
;   vector, error code, rip, cs, rflags, rsp, ss
; The interrupted code's SSE state is saved with fxsave around the call, because
; Swift code in the handler may use xmm registers.

bits 64
section .text
extern kernel_trap

; Every stub is 16 bytes long (aligned), so the stub for vector v lies at
; trap_vectors + 16 * v: the IDT needs no address table and the PIE no
; relocations for it.
%macro VECTOR_NO_ERROR 1
align 16
trap_vector_%1:
    push 0                      ; no error code: keep the frame uniform
    push %1
    jmp near trap_common
%endmacro

%macro VECTOR_ERROR 1
align 16
trap_vector_%1:
    push %1                     ; the CPU pushed an error code already
    jmp near trap_common
%endmacro

; SDM Table 6-1: #DF(8), #TS(10), #NP(11), #SS(12), #GP(13), #PF(14), #AC(17),
; #CP(21), #VC(29), #SX(30) push an error code.
trap_vectors:
%assign v 0
%rep 256
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
    VECTOR_ERROR v
%else
    VECTOR_NO_ERROR v
%endif
%assign v v + 1
%endrep

trap_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp                ; the frame
    ; The CPU aligned rsp to 16 before pushing (SDM §6.14.2) and we pushed 22
    ; quadwords, so rsp is 16-byte aligned here, as fxsave and the ABI need.
    sub rsp, 512
    fxsave [rsp]
    cld
    call kernel_trap
    fxrstor [rsp]
    add rsp, 512
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                 ; vector and error code
    iretq

section .text
global hermit_trap_vectors
; const void *hermit_trap_vectors(void): the stub for vector 0; see above.
hermit_trap_vectors:
    lea rax, [rel trap_vectors]
    ret
