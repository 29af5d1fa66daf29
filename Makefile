# Hermit for Swift: host tools (SwiftPM) and guest artifacts (swiftc, nasm, ld.lld).
#
#   make          host tools (release) + loader + kernel library + examples + test apps
#   make demo     install what is missing, build, boot examples/hello under QEMU
#   make test     build everything, then run all tests (host units + real QEMU boots)

SWIFT_BIN   ?= /opt/swift/usr/bin
SWIFTC      := $(SWIFT_BIN)/swiftc
CLANG       := $(SWIFT_BIN)/clang
LLD         := $(SWIFT_BIN)/ld.lld
OBJCOPY     := $(SWIFT_BIN)/llvm-objcopy
NASM        ?= nasm
QEMU        ?= qemu-system-x86_64
B           := build
EMBEDDED_LIB := /opt/swift/usr/lib/swift/embedded/x86_64-unknown-none-elf

# Embedded Swift for a freestanding x86_64 guest (docs/PLATFORM.md).
EMBEDDED_SWIFTFLAGS := -target x86_64-unknown-none-elf -enable-experimental-feature Embedded \
  -enable-experimental-feature Extern -wmo -Xcc -mno-red-zone \
  -Xfrontend -disable-stack-protector -Xfrontend -function-sections
# The loader and apps are optimized for size. The kernel is optimized for speed:
# under TCG, first-run kernel code (a NIC's bring-up: driver, stack, DHCP) costs
# its translation, and -O code translates and runs faster than -Osize code
# (bench/netboot.sh, bench/httpd.sh); hello grows by ~8 KB for it. Embedded
# Swift's swift_beginAccess is an empty function, yet every dynamic exclusivity
# check calls it (~800 calls in the kernel, each one more block for TCG):
# the kernel leaves them out (static exclusivity checking stays).
GUEST_SWIFTFLAGS := $(EMBEDDED_SWIFTFLAGS) -Osize
KERNEL_SWIFTFLAGS := $(EMBEDDED_SWIFTFLAGS) -O -enforce-exclusivity=unchecked
GUEST_CFLAGS := -target x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdlib \
  -mno-red-zone -fno-stack-protector -fno-pic -mcmodel=kernel -Os -Wall -ffunction-sections
KERNEL_CFLAGS := -target x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdlib \
  -mno-red-zone -fno-stack-protector -fPIC -Os -Wall -ffunction-sections
APP_LDFLAGS := -nostdlib -static -pie --no-dynamic-linker -z max-page-size=4096 \
  -z norelro --gc-sections -z noexecstack

BOOTFORMAT_SRCS := $(wildcard Sources/BootFormat/*.swift)
LOADER_SRCS     := $(wildcard Sources/Loader/*.swift) Sources/BootFormat/ELF.swift Sources/BootFormat/BootInfo.swift
KERNEL_SRCS     := $(shell find Sources/Kernel Sources/NetStack -name '*.swift' | sort) $(BOOTFORMAT_SRCS)
KERNEL_ASMS     := $(shell find Sources/Kernel -name '*.asm' | sort)
EXAMPLES        := $(notdir $(wildcard examples/*))
GUESTS          := $(notdir $(wildcard Tests/Guests/*))

.PHONY: all guest host demo test clean print-app-flags
all: host guest
guest: $(B)/hermit-loader $(B)/kernel/libhermit.a $(EXAMPLES:%=$(B)/examples/%) $(GUESTS:%=$(B)/guests/%)

host:
	swift build -c release --static-swift-stdlib

# --- loader ---------------------------------------------------------------
$(B)/loader/Boot.o: Sources/Loader/Boot.asm
	@mkdir -p $(@D)
	$(NASM) -f elf64 -o $@ $<
$(B)/loader/Port.o: Sources/GuestSupport/Port.asm
	@mkdir -p $(@D)
	$(NASM) -f elf64 -o $@ $<
$(B)/loader/string.o: Sources/GuestSupport/string.c
	@mkdir -p $(@D)
	$(CLANG) $(GUEST_CFLAGS) -c -o $@ $<
$(B)/loader/Loader.o: $(LOADER_SRCS)
	@mkdir -p $(@D)
	$(SWIFTC) $(GUEST_SWIFTFLAGS) -parse-as-library -module-name Loader -c $(LOADER_SRCS) -o $@
$(B)/hermit-loader.elf: $(B)/loader/Boot.o $(B)/loader/Port.o $(B)/loader/string.o $(B)/loader/Loader.o Sources/Loader/loader.ld
	$(LLD) -T Sources/Loader/loader.ld -nostdlib -static --gc-sections -o $@ $(filter %.o,$^)
# A flat binary: QEMU loads it through the Multiboot a.out kludge header.
$(B)/hermit-loader: $(B)/hermit-loader.elf
	$(OBJCOPY) -O binary $< $@

clean:
	rm -rf $(B)

# --- kernel library ---------------------------------------------------------
$(B)/kernel/%.o: Sources/Kernel/arch/x86_64/%.asm
	@mkdir -p $(@D)
	$(NASM) -f elf64 -o $@ $<
$(B)/kernel/Port.o: Sources/GuestSupport/Port.asm
	@mkdir -p $(@D)
	$(NASM) -f elf64 -o $@ $<
$(B)/kernel/string.o: Sources/GuestSupport/string.c
	@mkdir -p $(@D)
	$(CLANG) $(KERNEL_CFLAGS) -c -o $@ $<
$(B)/kernel/malloc.o: Sources/Kernel/mm/malloc.c
	@mkdir -p $(@D)
	$(CLANG) $(KERNEL_CFLAGS) -c -o $@ $<
# One object per source file (whole-module optimized all the same), so that an
# app links only the archive members it reaches: one Kernel.o would carry every
# class's metadata in one .data section, and with it the network stack into hello.
$(B)/kernel/swift/.stamp: $(KERNEL_SRCS)
	@test -z "$$(printf '%s\n' $(notdir $(KERNEL_SRCS)) | sort | uniq -d)" || \
	  { echo "kernel sources need unique file names"; exit 1; }
	@mkdir -p $(B)/kernel
	# Built aside, then swapped in: no stale object of a deleted source stays,
	# and a concurrent make never sees a half-filled directory.
	new=$$(mktemp -d $(CURDIR)/$(@D).new.XXXXXX) && old=$$(mktemp -u $(CURDIR)/$(@D).old.XXXXXX) && \
	cd $$new && $(SWIFTC) $(KERNEL_SWIFTFLAGS) -num-threads 2 -parse-as-library \
	  -module-name Kernel -emit-module -emit-module-path $$new/Kernel.swiftmodule \
	  -c $(addprefix $(CURDIR)/,$(KERNEL_SRCS)) && cd $(CURDIR) && \
	mv $$new/Kernel.swiftmodule $$new/Kernel.swiftdoc $$new/Kernel.swiftsourceinfo $(B)/kernel/ && \
	touch $$new/.stamp && { ! test -d $(@D) || mv $(@D) $$old; } && mv $$new $(@D) && rm -rf $$old
KERNEL_OBJS := $(B)/kernel/Port.o $(B)/kernel/string.o $(B)/kernel/malloc.o \
  $(patsubst Sources/Kernel/arch/x86_64/%.asm,$(B)/kernel/%.o,$(KERNEL_ASMS))
$(B)/kernel/libhermit.a: $(B)/kernel/swift/.stamp $(KERNEL_OBJS)
	rm -f $@
	$(SWIFT_BIN)/llvm-ar rcs $@ $(B)/kernel/swift/*.o $(KERNEL_OBJS)
$(B)/kernel/app.ld: Sources/Kernel/app.ld
	@mkdir -p $(@D)
	cp $< $@

# --- C math (runtime/libm.c) ---------------------------------------------------
# musl's libm objects from Debian's musl-dev (scripts/setup.sh), each renamed to
# __hermit_musl_* so that nothing else of musl's libc can be linked, and each its
# own archive member: an app links only the functions it calls.
MUSL_LIBC := /usr/lib/x86_64-linux-musl/libc.a
MUSL_MATH := ceil ceilf floor floorf round roundf trunc truncf rint rintf fmod fmodf \
  exp expf exp2 exp2f log logf log2 log2f log10 log10f pow powf sin sinf cos cosf tan tanf \
  atan atanf atan2 atan2f asin asinf acos acosf hypot hypotf cbrt cbrtf remainder remainderf \
  remquo remquof fma fmaf fenv scalbn __sin __sindf __cos __cosdf __tan __tandf __rem_pio2 \
  __rem_pio2f __rem_pio2_large __math_divzero __math_divzerof __math_invalid __math_invalidf \
  __math_oflow __math_oflowf __math_uflow __math_uflowf __math_xflow __math_xflowf \
  exp_data exp2f_data log_data log2_data log2f_data logf_data pow_data powf_data
MATH_OBJS := $(B)/kernel/libm.o $(MUSL_MATH:%=$(B)/kernel/musl/musl_%.o)
$(B)/kernel/libm.o: Sources/Kernel/runtime/libm.c
	@mkdir -p $(@D)
	$(CLANG) $(KERNEL_CFLAGS) -c -o $@ $<
$(B)/kernel/musl/musl_%.o: $(wildcard $(MUSL_LIBC))
	@test -f $(MUSL_LIBC) || { echo "$(MUSL_LIBC) is missing: run scripts/setup.sh (musl-dev)"; exit 1; }
	@mkdir -p $(@D)
	cd $(@D) && $(SWIFT_BIN)/llvm-ar x $(MUSL_LIBC) $*.lo
	$(OBJCOPY) --prefix-symbols=__hermit_musl_ $(@D)/$*.lo $@
	rm -f $(@D)/$*.lo
$(B)/kernel/libhermit.a: $(MATH_OBJS)
KERNEL_OBJS += $(MATH_OBJS)

# --- apps -------------------------------------------------------------------
# One rule for examples and test apps: every .swift file in the folder (or its
# Sources/*/ for a SwiftPM-style package) is the app's module.
define app_rule
$(B)/$(1)/$(2): $$(shell find $(3)/$(2) -name '*.swift') $(B)/kernel/libhermit.a $(B)/kernel/app.ld
	@mkdir -p $$(@D)
	$(SWIFTC) $(GUEST_SWIFTFLAGS) $$(shell cat $(3)/$(2)/swiftflags 2>/dev/null) \
	  -I $(B)/kernel -module-name main -c $$(filter %.swift,$$^) -o $$@.o
	$(LLD) -T $(B)/kernel/app.ld $(APP_LDFLAGS) -o $$@.debug $$@.o $(B)/kernel/libhermit.a \
	  $(EMBEDDED_LIB)/libswiftUnicodeDataTables.a
	$(OBJCOPY) --strip-all $$@.debug $$@
	rm -f $$@.o
endef
$(foreach app,$(EXAMPLES),$(eval $(call app_rule,examples,$(app),examples)))
$(foreach app,$(GUESTS),$(eval $(call app_rule,guests,$(app),Tests/Guests)))

print-app-flags:
	@echo 'swiftc $(GUEST_SWIFTFLAGS) -I $(B)/kernel -module-name main -c SOURCES... -o app.o'
	@echo 'ld.lld -T $(B)/kernel/app.ld $(APP_LDFLAGS) -o APP.debug app.o $(B)/kernel/libhermit.a $(EMBEDDED_LIB)/libswiftUnicodeDataTables.a'
	@echo 'llvm-objcopy --strip-all APP.debug APP'

# --- demo and tests -----------------------------------------------------------
demo:
	scripts/setup.sh
	$(MAKE) all
	@echo '== the seed way: -kernel $(B)/hermit-loader -initrd $(B)/examples/hello'
	scripts/boot.sh $(B)/examples/hello
	@echo '== the container way: hermit-image build, then hermit-runtime run'
	.build/release/hermit-image build -t hello:latest examples/hello
	.build/release/hermit-runtime run --rm hello:latest

test: all
	HERMIT_BIN=$(CURDIR)/.build/release HERMIT_TOOLCHAIN=$(CURDIR)/$(B) swift test
