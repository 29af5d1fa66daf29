; A stand-in guest for RuntimeTests while (or where) the real guests are not
; built: a Multiboot v1 flat binary (a.out kludge) that follows docs/ABI.md's
; exit status channel. It prints "Hello World!" and the kernel command line on
; COM1, then looks at the first app argument (after " -- "):
;   a decimal number N -> status record "exit=N", writes N & 0x7f to 0xf4
;   "spin"             -> spins forever
;   "panic"            -> status record "panic", writes 0x7f to 0xf4
;   nothing            -> exit 0
; Assemble: nasm -f bin scripts/runtime-fake-guest.asm -o fake-guest (RuntimeTests do)
bits 32
org 0x100000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010003            ; page-align modules, memory info, a.out kludge
COM1 equ 0x3f8
DEBUGCON equ 0xe9
DEBUG_EXIT equ 0xf4
header:
  dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
  dd header, header, end, end, start
start:
  mov esp, stack_top
  mov ebx, ebx
  mov esi, hello
  mov dx, COM1
  call puts
  xor esi, esi
  test dword [ebx], 1 << 2         ; MULTIBOOT_INFO_CMDLINE
  jz .noargs
  mov esi, [ebx + 16]
  mov dx, COM1
  push esi
  call puts
  mov al, 10
  out dx, al
  pop esi
  ; find " -- "
.find:
  mov eax, [esi]
  test al, al
  jz .noargs
  cmp eax, 0x202d2d20              ; " -- " little endian
  je .found
  inc esi
  jmp .find
.found:
  add esi, 4
  mov al, [esi]
  cmp al, 's'
  je .spin
  cmp al, 'p'
  je .panic
  xor ecx, ecx                     ; parse decimal
.digit:
  movzx eax, byte [esi]
  sub eax, '0'
  jb .exit
  cmp eax, 9
  ja .exit
  imul ecx, ecx, 10
  add ecx, eax
  inc esi
  jmp .digit
.noargs:
  xor ecx, ecx
.exit:
  mov dx, DEBUGCON
  mov esi, rec_exit
  call puts
  mov eax, ecx                     ; print ecx in decimal
  mov edi, numbuf_end
  mov ebx, 10
.conv:
  xor edx, edx
  div ebx
  add dl, '0'
  dec edi
  mov [edi], dl
  test eax, eax
  jnz .conv
  mov esi, edi
  mov dx, DEBUGCON
  call puts
  mov al, 10
  out dx, al
  mov eax, ecx
  and eax, 0x7f
  out DEBUG_EXIT, al
  jmp .spin
.panic:
  mov dx, COM1
  mov esi, panicmsg
  call puts
  mov dx, DEBUGCON
  mov esi, rec_panic
  call puts
  mov al, 0x7f
  out DEBUG_EXIT, al
.spin:
  jmp .spin
; puts: write NUL-terminated [esi] to port dx
puts:
  lodsb
  test al, al
  jz .done
  out dx, al
  jmp puts
.done:
  ret
hello: db "Hello World!", 10, 0
panicmsg: db "panic: fake guest asked to panic", 10, 0
rec_exit: db "HERMIT-STATUS exit=", 0
rec_panic: db "HERMIT-STATUS panic", 10, 0
numbuf: times 12 db 0
numbuf_end: db 0
align 16
stack: times 256 db 0
stack_top:
end:
