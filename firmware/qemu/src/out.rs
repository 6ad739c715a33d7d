//! Buffered semihosting output: one host call per few hundred bytes, not per line (each call
//! stops the emulated core), in a buffer small enough for a 16 KiB micro:bit.

use core::fmt::{self, Write};

use cortex_m_semihosting::hio::{self, HostStream};

const CAP: usize = 512;

/// Lines on QEMU's standard output.
pub struct Out {
    stdout: HostStream,
    buf: [u8; CAP],
    len: usize,
}

impl Out {
    /// Opens the host's standard output.
    pub fn new() -> Self {
        Out {
            stdout: hio::hstdout().unwrap(),
            buf: [0; CAP],
            len: 0,
        }
    }

    /// Writes one line.
    pub fn line(&mut self, args: fmt::Arguments) {
        self.write_fmt(args).unwrap();
        self.write_str("\n").unwrap();
    }

    /// Writes one `# ` comment line.
    pub fn comment(&mut self, args: fmt::Arguments) {
        self.write_str("# ").unwrap();
        self.line(args);
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) {
        self.stdout.write_all(&self.buf[..self.len]).unwrap();
        self.len = 0;
    }
}

impl Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for chunk in s.as_bytes().chunks(CAP) {
            if self.len + chunk.len() > CAP {
                self.flush();
            }
            self.buf[self.len..self.len + chunk.len()].copy_from_slice(chunk);
            self.len += chunk.len();
        }
        Ok(())
    }
}
