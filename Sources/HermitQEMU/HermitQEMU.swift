// HermitQEMU: QEMU command line, accelerator probe, guest exit status, supervision.
