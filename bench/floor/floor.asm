; The QEMU floor: the smallest Multiboot kernel, which exits through
; isa-debug-exit at once. Booting it measures QEMU's own start-up and tear-down,
; the baseline every boot benchmark is divided by.
bits 32
org 0x100000
section .text
align 4
header:
    dd 0x1BADB002
    dd 0x00010000               ; a.out kludge: addresses below
    dd -(0x1BADB002 + 0x00010000)
    dd header                   ; header_addr
    dd header                   ; load_addr
    dd 0                        ; load_end_addr: whole file
    dd 0                        ; bss_end_addr: no bss
    dd start                    ; entry_addr
start:
    mov al, 0                   ; QEMU exits with (0 << 1) | 1 = 1
    out 0xf4, al
.hang:
    hlt
    jmp .hang
