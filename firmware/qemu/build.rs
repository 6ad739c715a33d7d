//! Picks the memory map of the QEMU machine that emulates the target's core, and hands it to
//! cortex-m-rt's `link.x` as `memory.x`.

use std::path::PathBuf;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    // thumbv7em-none-eabihf: Cortex-M4F on `-M mps2-an386`; thumbv7m: Cortex-M3 on
    // `-M lm3s6965evb`; thumbv6m: Cortex-M0 on `-M microbit` (nRF51822).
    let machine = match target.as_str() {
        "thumbv7em-none-eabihf" => "mps2-an386",
        "thumbv7m-none-eabi" => "lm3s6965evb",
        "thumbv6m-none-eabi" => "microbit",
        other => panic!(
            "firmware-qemu builds for thumbv7em-none-eabihf, thumbv7m-none-eabi or thumbv6m-none-eabi, not {other:?}"
        ),
    };
    // FIRMWARE_QEMU_MEMORY=mps2-an386 links any target with the AN386's 4 MiB + 4 MiB, to
    // measure binaries too big for their own board (a Cortex-M4 runs v6-M and v7-M code).
    println!("cargo:rerun-if-env-changed=FIRMWARE_QEMU_MEMORY");
    let machine = match std::env::var("FIRMWARE_QEMU_MEMORY") {
        Ok(m) if m == "mps2-an386" => "mps2-an386",
        _ => machine,
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let src = format!("memory/{machine}.x");
    std::fs::copy(&src, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={src}");
    println!("cargo:rerun-if-changed=build.rs");
}
