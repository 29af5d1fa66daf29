; Start-up code for the application processors (arch/x86_64/SMP.swift).
;
; Spec: Intel SDM vol. 3 §8.4.4 (MP initialization: INIT-SIPI-SIPI; the AP starts
; in real mode at CS:IP = vector << 8 : 0), §9.9.1 (switching to protected mode),
; §9.8.5 (initializing IA-32e mode: PAE, CR3, EFER.LME, then CR0.PG), §9.1.1
; (CR0 after INIT is 0x60000010: CD and NW set, so the AP would run with its
; caches off if we only ORed bits onto it).
;
; This blob is not run where it is linked: SMP.swift copies it to
; TRAMPOLINE_BASE (a free page below 1 MiB, SIPI vector 0x08), fills the slots
; after the first jump, maps the page executable and sends the SIPIs. Every
; address below is therefore TRAMPOLINE_BASE + (label - trampoline_start), a
; constant, so the blob needs no relocation.
;
; Exit state: 64-bit mode on the kernel's page tables (slot CR3), CR0, CR4 and
; EFER as the boot CPU has them (CR0 loaded whole, never ORed onto the reset
; value), rsp = slot stack, rdi = slot core index; calls slot entry
; (kernel_ap_start), which never returns. Interrupts stay disabled.

TRAMPOLINE_BASE equ 0x8000
CR0_PG          equ 1 << 31
EFER            equ 0xC0000080
IA32_GS_BASE    equ 0xC0000101

%define ABS(label) (TRAMPOLINE_BASE + (label) - trampoline_start)

section .rodata
align 16
trampoline_start:
bits 16
    jmp short real_mode
align 8
; Slots, at fixed offsets that SMP.swift writes (Trampoline.Slot).
slot_cr3:       dq 0            ; +8   the kernel's PML4 (below 4 GiB)
slot_cr4:       dq 0            ; +16  CR4 as on the boot CPU
slot_efer:      dq 0            ; +24  EFER: LME, and NXE if the boot CPU set it
slot_stack:     dq 0            ; +32  the AP's initial stack top
slot_entry:     dq 0            ; +40  64-bit entry point
slot_core:      dq 0            ; +48  the AP's core index
slot_ready:     dq 0            ; +56  set by the AP once it runs Swift code
slot_cr0:       dq 0            ; +64  CR0 as on the boot CPU (ControlRegisters.swift)

real_mode:
    cli
    cld
    mov ax, cs                  ; 0x0800 for SIPI vector 0x08
    mov ds, ax
    o32 lgdt [gdt_pointer - trampoline_start]
    mov eax, [slot_cr0 - trampoline_start]
    and eax, CR0_PG - 1         ; the boot CPU's CR0 without paging: protected
    mov cr0, eax                ; mode, caches on (CD = NW = 0), WP, NE
    jmp dword 0x08:ABS(protected_mode)

bits 32
protected_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, [ABS(slot_cr4)]    ; PAE must be on before paging in IA-32e mode
    mov cr4, eax
    mov eax, [ABS(slot_cr3)]
    mov cr3, eax
    mov ecx, EFER
    mov eax, [ABS(slot_efer)]
    xor edx, edx
    wrmsr
    mov eax, [ABS(slot_cr0)]    ; the whole value: PG, and MP set, EM clear for SSE
    mov cr0, eax                ; IA-32e mode is active from here (EFER.LMA)
    jmp 0x18:ABS(long_mode)

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov ecx, IA32_GS_BASE       ; until kernel_ap_start has its own: the core
    mov eax, ABS(slot_core)     ; index for log lines of an early panic
    xor edx, edx
    wrmsr
    mov rsp, [ABS(slot_stack)]
    mov rdi, [ABS(slot_core)]
    mov rax, [ABS(slot_entry)]
    xor ebp, ebp                ; ends every backtrace
    call rax
.hang:
    hlt
    jmp .hang

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; 0x08: 32-bit code, base 0, limit 4 GiB
    dq 0x00CF92000000FFFF       ; 0x10: data, base 0, limit 4 GiB
    dq 0x00AF9A000000FFFF       ; 0x18: 64-bit code (L = 1)
gdt_pointer:
    dw 4 * 8 - 1
    dd ABS(gdt)
trampoline_end:

section .text
global hermit_trampoline, hermit_ap_entry_address
extern kernel_ap_start

; const void *hermit_trampoline(uint64_t *size): the blob and its length.
hermit_trampoline:
    lea rax, [rel trampoline_start]
    mov qword [rdi], trampoline_end - trampoline_start
    ret

; uint64_t hermit_ap_entry_address(void): where the trampoline jumps.
hermit_ap_entry_address:
    lea rax, [rel kernel_ap_start]
    ret
