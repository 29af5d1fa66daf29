; Port I/O, time stamp counter and a few privileged instructions, for Embedded
; Swift code in the loader and the kernel (called through @_extern(c)).
;
; Entry state: 64-bit long mode, System V AMD64 calling convention
; (arguments in rdi, rsi; result in rax). No function touches the stack.

bits 64
section .text

global hermit_outb, hermit_outw, hermit_outl, hermit_inb, hermit_inw, hermit_inl
global hermit_rdtsc, hermit_halt, hermit_pause

; void hermit_outb(uint16_t port, uint8_t value)
hermit_outb:
    mov dx, di
    mov al, sil
    out dx, al
    ret

; void hermit_outw(uint16_t port, uint16_t value)
hermit_outw:
    mov dx, di
    mov ax, si
    out dx, ax
    ret

; void hermit_outl(uint16_t port, uint32_t value)
hermit_outl:
    mov dx, di
    mov eax, esi
    out dx, eax
    ret

; uint8_t hermit_inb(uint16_t port)
hermit_inb:
    mov dx, di
    xor eax, eax
    in al, dx
    ret

; uint16_t hermit_inw(uint16_t port)
hermit_inw:
    mov dx, di
    xor eax, eax
    in ax, dx
    ret

; uint32_t hermit_inl(uint16_t port)
hermit_inl:
    mov dx, di
    in eax, dx
    ret

; uint64_t hermit_rdtsc(void)
hermit_rdtsc:
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

; void hermit_halt(void): sleep until the next interrupt.
hermit_halt:
    hlt
    ret

; void hermit_pause(void): spin-wait hint.
hermit_pause:
    pause
    ret
