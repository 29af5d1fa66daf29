; The app's entry point: the loader jumps here in long mode with the first 4 GiB
; identity-mapped, interrupts off, rdi = physical address of the BootInfo
; (Sources/BootFormat/BootInfo.swift). We switch to the kernel's boot stack and
; call kernel_start (Kernel.swift), which never returns.
;
; The .note.hermit note marks the ELF file as a Hermit app (ELF.swift checks it).

bits 64

section .note.hermit note alloc noexec nowrite align=4
    dd 7                        ; namesz: "HERMIT\0"
    dd 4                        ; descsz
    dd 1                        ; type: ABI version note
    db "HERMIT", 0, 0           ; name, padded to 4 bytes
    dd 1                        ; desc: ABI version (ELFFile.abiVersion)

section .text
global _start
extern kernel_start
_start:
    cli
    cld
    lea rsp, [rel boot_stack_top]
    xor ebp, ebp                ; ends every backtrace
    call kernel_start
.hang:
    hlt
    jmp .hang

section .bss
global boot_stack_guard, boot_stack_bottom, boot_stack_top
alignb 4096
boot_stack_guard:   resb 4096   ; unmapped by the kernel: overflow faults
boot_stack_bottom:  resb 65536
boot_stack_top:

section .text
global hermit_boot_stack_guard
; uint64_t hermit_boot_stack_guard(void): address of the unmapped guard page.
hermit_boot_stack_guard:
    lea rax, [rel boot_stack_guard]
    ret
