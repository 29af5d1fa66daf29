; Privileged x86_64 instructions for the kernel's Swift code (CPU.swift).
; System V AMD64 calling convention; no function keeps state.
; Spec: Intel SDM vol. 2 (instruction reference), vol. 3 §2.5 (control registers).

bits 64
section .text

global hermit_lgdt, hermit_lidt, hermit_ltr, hermit_reload_segments
global hermit_read_cr0, hermit_read_cr2, hermit_read_cr3, hermit_read_cr4
global hermit_write_cr0, hermit_write_cr3, hermit_write_cr4
global hermit_rdmsr, hermit_wrmsr, hermit_cpuid, hermit_rdrand, hermit_rdseed
global hermit_enable_interrupts, hermit_disable_interrupts, hermit_read_rbp
global hermit_wait_for_interrupt, hermit_triple_fault
global hermit_save_and_disable_interrupts, hermit_read_core_index, hermit_invlpg

hermit_lgdt:                    ; void (const void *descriptor)
    lgdt [rdi]
    ret
hermit_lidt:                    ; void (const void *descriptor)
    lidt [rdi]
    ret
hermit_ltr:                     ; void (uint16_t selector)
    ltr di
    ret

; void hermit_reload_segments(uint16_t code, uint16_t data): load cs with a far
; return and the data segment registers with `data`.
hermit_reload_segments:
    mov ds, si
    mov es, si
    mov ss, si
    xor eax, eax
    mov fs, ax
    mov gs, ax
    pop rax                     ; return address
    push rdi                    ; new cs
    push rax
    retfq

hermit_read_cr0:
    mov rax, cr0
    ret
hermit_read_cr2:
    mov rax, cr2
    ret
hermit_read_cr3:
    mov rax, cr3
    ret
hermit_read_cr4:
    mov rax, cr4
    ret
hermit_write_cr0:
    mov cr0, rdi
    ret
hermit_write_cr3:
    mov cr3, rdi
    ret
hermit_write_cr4:
    mov cr4, rdi
    ret
; void hermit_invlpg(uint64_t address): drops this core's TLB entries for the
; page, a large page covering it included (SDM vol. 3 §4.10.4.1).
hermit_invlpg:
    invlpg [rdi]
    ret

hermit_rdmsr:                   ; uint64_t (uint32_t msr)
    mov ecx, edi
    rdmsr
    shl rdx, 32
    or rax, rdx
    ret
hermit_wrmsr:                   ; void (uint32_t msr, uint64_t value)
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
    wrmsr
    ret

; void hermit_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) → eax ebx ecx edx
hermit_cpuid:
    push rbx
    mov r8, rdx
    mov eax, edi
    mov ecx, esi
    cpuid
    mov [r8], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

; bool hermit_rdrand(uint64_t *out): retries a few times, as SDM vol. 1
; §7.3.17.1 advises, since RDRAND may transiently fail (CF = 0).
hermit_rdrand:
    mov ecx, 10
.retry:
    rdrand rax
    jc .ok
    dec ecx
    jnz .retry
    xor eax, eax
    ret
.ok:
    mov [rdi], rax
    mov eax, 1
    ret

; bool hermit_rdseed(uint64_t *out): RDSEED fails (CF = 0) whenever the
; entropy source has no fresh seed ready, more often than RDRAND, so it is
; retried longer, with PAUSE between tries (SDM vol. 1 §7.3.17.3).
hermit_rdseed:
    mov ecx, 100
.seed_retry:
    rdseed rax
    jc .seed_ok
    pause
    dec ecx
    jnz .seed_retry
    xor eax, eax
    ret
.seed_ok:
    mov [rdi], rax
    mov eax, 1
    ret

hermit_enable_interrupts:
    sti
    ret
hermit_disable_interrupts:
    cli
    ret
; bool hermit_save_and_disable_interrupts(void): RFLAGS.IF (bit 9) before the cli.
hermit_save_and_disable_interrupts:
    pushfq
    pop rax
    cli
    shr eax, 9
    and eax, 1
    ret
; uint64_t hermit_read_core_index(void): the word at GS base, which CPUTables
; points at this core's index (IA32_GS_BASE, SDM vol. 3 §3.4.4).
hermit_read_core_index:
    mov rax, [gs:0]
    ret
; Enable interrupts and halt atomically (sti's one-instruction shadow), so a
; wake-up interrupt cannot slip in between.
hermit_wait_for_interrupt:
    sti
    hlt
    ret
hermit_read_rbp:
    mov rax, rbp
    ret

; Last resort when isa-debug-exit is missing: an empty IDT makes the next
; exception a triple fault, which ends QEMU under -no-reboot.
hermit_triple_fault:
    lidt [rel .empty]
    int3
.empty:
    dw 0
    dq 0
