//! Progress bars for long work (replay, export, import), shown only when stderr is a
//! terminal, so scripts and logs never see them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Below this many units a bar is not worth drawing: small jobs finish before it appears.
const BAR_UNITS_MIN: u64 = 10_000;

/// A progress bar that does nothing when stderr is not a terminal.
#[derive(Clone)]
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    pub fn new(what: &'static str, unit: &'static str) -> Bar {
        if !io::stderr().is_terminal() {
            return Bar { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let template = format!("{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{eta}})");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(what);
        bar.set_draw_target(ProgressDrawTarget::hidden());
        Bar { bar: Some(bar) }
    }

    /// Shows `done` of `total`; the bar appears only for large jobs.
    pub fn set(&self, done: u64, total: u64) {
        let Some(bar) = &self.bar else { return };
        if total >= BAR_UNITS_MIN && bar.is_hidden() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_length(total);
        bar.set_position(done);
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A writer that moves a bar by the lines (exported events) written through it.
pub struct CountLines<W> {
    inner: W,
    bar: Bar,
    lines: u64,
    total: u64,
}

impl<W: Write> CountLines<W> {
    pub fn new(inner: W, bar: Bar, total: u64) -> CountLines<W> {
        CountLines {
            inner,
            bar,
            lines: 0,
            total,
        }
    }
}

impl<W: Write> Write for CountLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        let lines = buf[..written].iter().filter(|b| **b == b'\n').count() as u64;
        if lines > 0 {
            self.lines += lines;
            self.bar.set(self.lines, self.total);
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A buffered file reader that moves a bar by the bytes consumed.
pub struct CountBytes {
    inner: BufReader<File>,
    bar: Bar,
    read: u64,
    total: u64,
}

impl CountBytes {
    pub fn open(path: &Path, bar: Bar, total: u64) -> anyhow::Result<CountBytes> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(CountBytes {
            inner: BufReader::new(file),
            bar,
            read: 0,
            total,
        })
    }
}

impl Read for CountBytes {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consume_progress(n);
        Ok(n)
    }
}

impl BufRead for CountBytes {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.consume_progress(amount);
    }
}

impl CountBytes {
    fn consume_progress(&mut self, amount: usize) {
        self.read += amount as u64;
        self.bar.set(self.read, self.total);
    }
}
