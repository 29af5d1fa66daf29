; Spin lock primitives on a 32-bit word (0 = free, 1 = held), for sched/SpinLock.swift.
;
; Spec: Intel SDM vol. 3 §8.1.2.1 (xchg with a memory operand is always locked),
; §8.2.2 (x86 ordering: a store is not reordered with earlier loads or stores, so a
; plain store releases), vol. 2 PAUSE (spin-wait hint).
; Calling convention: System V AMD64; the callers disable interrupts first.

bits 64
section .text

global hermit_spin_lock, hermit_spin_unlock

; void hermit_spin_lock(uint32_t *word): test-and-test-and-set.
hermit_spin_lock:
.retry:
    mov eax, 1
    xchg [rdi], eax
    test eax, eax
    jz .done
.wait:
    pause
    cmp dword [rdi], 0
    jne .wait
    jmp .retry
.done:
    ret

; void hermit_spin_unlock(uint32_t *word)
hermit_spin_unlock:
    mov dword [rdi], 0
    ret
