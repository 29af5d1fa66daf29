; The accelerator probe guest (HermitQEMU.ProbeGuest): can this accelerator run
; SSE? On nested KVM hosts the first SSE instruction makes KVM report
; "KVM internal error. Suberror: 1" and QEMU hang (../../shared/PLATFORM.md).
;
; Entry: Multiboot v1 (a.out kludge, loaded at 1 MiB), 32-bit protected mode,
; paging off. It enables SSE (CR0.EM=0, CR0.MP=1, CR4.OSFXSR, CR4.OSXMMEXCPT),
; executes two SSE instructions and writes 0x21 to isa-debug-exit (0xf4), so
; QEMU exits with status (0x21 << 1) | 1 = 67. Anything else means "no".
;
; Regenerate the Swift bytes after editing: scripts/runtime-gen-probe.sh
bits 32
org 0x100000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010003            ; align modules, memory info, a.out kludge
header:
  dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
  dd header                        ; header_addr
  dd header                        ; load_addr
  dd end                           ; load_end_addr
  dd end                           ; bss_end_addr
  dd start                         ; entry_addr
start:
  mov eax, cr0
  and eax, ~(1 << 2)               ; CR0.EM = 0: no x87 emulation
  or eax, (1 << 1)                 ; CR0.MP = 1
  mov cr0, eax
  mov eax, cr4
  or eax, (1 << 9) | (1 << 10)     ; CR4.OSFXSR, CR4.OSXMMEXCPT
  mov cr4, eax
  xorps xmm0, xmm0                 ; the instructions nested KVM fails on
  addps xmm0, xmm0
  mov al, 0x21                     ; success marker
  out 0xf4, al                     ; isa-debug-exit
.hang:
  hlt
  jmp .hang
end:
