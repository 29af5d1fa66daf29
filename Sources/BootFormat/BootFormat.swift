// BootFormat: ELF64, boot info, kernel command line, guest status record.
