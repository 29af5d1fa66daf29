; Loader entry: Multiboot v1 → 64-bit long mode → loader_main (Loader.swift).
;
; Spec: Multiboot Specification 0.6.96 §3.1 (header), §3.2 (machine state);
; AMD64 APM vol. 2 §14.6 (enabling long mode); Intel SDM vol. 3 §9.8.5.
;
; Entry state (Multiboot §3.2): 32-bit protected mode, paging off, interrupts off,
; eax = 0x2BADB002, ebx = physical address of the Multiboot information.
; Everything lives below 4 GiB and is identity-mapped with 2 MiB pages.

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00010003      ; bit 0: page-align modules, bit 1: memory
                                    ; info, bit 16: a.out kludge (address fields)
CR0_PG          equ 1 << 31
CR0_MP          equ 1 << 1          ; monitor coprocessor (SSE, SDM §13.1.3)
CR0_EM          equ 1 << 2          ; x87 emulation: must be clear for SSE
CR4_PAE         equ 1 << 5
CR4_OSFXSR      equ 1 << 9          ; FXSAVE/FXRSTOR and SSE enabled
CR4_OSXMMEXCPT  equ 1 << 10         ; unmasked SSE exceptions raise #XM
EFER            equ 0xC0000080
EFER_LME        equ 1 << 8
EFER_NXE        equ 1 << 11
PAGE_PRESENT    equ 1 << 0
PAGE_WRITE      equ 1 << 1
PAGE_HUGE       equ 1 << 7

extern __loader_start, __loader_load_end, __loader_bss_end, loader_main
global loader_start32, loader_enter_app, loader_image_end, loader_scratch

section .multiboot
align 4
multiboot_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd multiboot_header         ; header_addr
    dd __loader_start           ; load_addr
    dd __loader_load_end        ; load_end_addr
    dd __loader_bss_end         ; bss_end_addr
    dd loader_start32           ; entry_addr

section .text
bits 32
loader_start32:
    mov esi, eax                ; Multiboot magic (checked in Swift)
    mov edi, ebx                ; Multiboot information
    rdtsc                       ; boot-time measurement starts here
    mov [entry_tsc], eax
    mov [entry_tsc + 4], edx
    mov esp, stack_top

    ; Identity-map 0..4 GiB with 2 MiB pages: PML4[0] → PDPT, PDPT[0..3] → PD0..3.
    mov eax, pdpt
    or eax, PAGE_PRESENT | PAGE_WRITE
    mov [pml4], eax
    mov ecx, 0
.pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, page_directories
    or eax, PAGE_PRESENT | PAGE_WRITE
    mov [pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jne .pdpt
    mov ecx, 0                  ; 2048 entries of 2 MiB each
.pd:
    mov eax, ecx
    shl eax, 21
    or eax, PAGE_PRESENT | PAGE_WRITE | PAGE_HUGE
    mov [page_directories + ecx * 8], eax
    inc ecx
    cmp ecx, 2048
    jne .pd

    mov eax, cr4
    or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    mov eax, pml4
    mov cr3, eax
    mov ecx, EFER
    rdmsr
    or eax, EFER_LME            ; NXE is left to the kernel: it checks CPUID first
    wrmsr
    mov eax, cr0
    and eax, ~CR0_EM
    or eax, CR0_PG | CR0_MP
    mov cr0, eax
    lgdt [gdt_pointer]
    jmp 0x08:long_mode

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    fninit
    ; loader_main(magic, multiboot_info, entry_tsc)
    mov eax, esi                ; 32-bit moves zero-extend into the 64-bit registers
    mov esi, edi                ; rsi = Multiboot information
    mov edi, eax                ; rdi = Multiboot magic
    mov rdx, [rel entry_tsc]    ; rdx = TSC at entry
    call loader_main
.hang:
    cli
    hlt
    jmp .hang

; noreturn void loader_enter_app(uint64_t entry, uint64_t boot_info)
; Jumps to the app with rdi = boot info. The app sets up its own stack.
loader_enter_app:
    mov rax, rdi
    mov rdi, rsi
    xor ebp, ebp
    jmp rax

; uint64_t loader_image_end(void): first byte after the loader's bss.
loader_image_end:
    mov eax, __loader_bss_end
    ret

; void *loader_scratch(void): 4 KiB of zeroed memory for the BootInfo and the
; memory-region table handed to the app.
loader_scratch:
    lea rax, [rel scratch]
    ret

section .rodata
align 8
gdt:
    dq 0                        ; null descriptor
    dq 0x00AF9A000000FFFF       ; 0x08: 64-bit code, present, DPL 0
    dq 0x00CF92000000FFFF       ; 0x10: data, present, writable
gdt_pointer:
    dw gdt_pointer - gdt - 1
    dq gdt

section .bss
alignb 4096
pml4:             resb 4096
pdpt:             resb 4096
page_directories: resb 4 * 4096
stack:            resb 16384
stack_top:
entry_tsc:        resq 1
alignb 4096
scratch:          resb 4096
