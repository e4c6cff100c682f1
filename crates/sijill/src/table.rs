//! Plain-text tables whose columns line up with Arabic and Latin text alike: widths are
//! counted in terminal cells (`unicode-width`), not bytes or chars, so combining marks and
//! wide characters do not shift the columns.
//!
//! Widths are summed per character on purpose: `UnicodeWidthStr` counts the Arabic lam-alef
//! pair (لا, لأ, لإ) as one cell, as a shaping renderer draws it, but terminals draw Arabic
//! unshaped, one cell per letter, and the columns must line up there.

use std::io::{self, Write};

use unicode_width::UnicodeWidthChar;

/// Widest a cell is drawn, in terminal cells; longer text is cut with `…` (JSON output is
/// never cut).
pub const CELL_WIDTH_MAX: usize = 60;
/// Blank cells between columns.
const GAP: usize = 2;

/// Text styling: bold headers on a terminal, nothing when `NO_COLOR` is set or stdout is
/// not a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Bold,
}

impl Style {
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color || !io::stdout().is_terminal() {
            Style::Plain
        } else {
            Style::Bold
        }
    }

    pub fn header(self, text: &str) -> String {
        match self {
            Style::Plain => text.to_owned(),
            Style::Bold => format!("\x1b[1m{text}\x1b[0m"),
        }
    }
}

#[derive(Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(
            cells.len(),
            self.headers.len(),
            "a row has one cell per column"
        );
        self.rows
            .push(cells.into_iter().map(|c| clip(&c)).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table; columns empty in every row are left out.
    pub fn write(&self, out: &mut dyn Write, style: Style) -> io::Result<()> {
        let shown: Vec<usize> = (0..self.headers.len())
            .filter(|c| self.rows.iter().any(|r| !r[*c].is_empty()))
            .collect();
        let widths: Vec<usize> = shown
            .iter()
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| cells(&r[*c]))
                    .chain([cells(&self.headers[*c])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let header: Vec<&str> = shown.iter().map(|c| self.headers[*c].as_str()).collect();
        let line = layout(&header, &widths);
        writeln!(out, "{}", style.header(line.trim_end()))?;
        for row in &self.rows {
            let cells: Vec<&str> = shown.iter().map(|c| row[*c].as_str()).collect();
            writeln!(out, "{}", layout(&cells, &widths).trim_end())?;
        }
        Ok(())
    }
}

/// Terminal cells the text takes, one letter at a time (see the module docs).
pub fn cells(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

fn layout(row: &[&str], widths: &[usize]) -> String {
    let mut line = String::new();
    for (cell, width) in row.iter().zip(widths) {
        line.push_str(cell);
        line.extend(std::iter::repeat_n(' ', width - cells(cell) + GAP));
    }
    line
}

/// Cuts text to [`CELL_WIDTH_MAX`] cells.
fn clip(text: &str) -> String {
    let text = text.replace(['\n', '\t'], " ");
    if cells(&text) <= CELL_WIDTH_MAX {
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        used += c.width().unwrap_or(0);
        if used >= CELL_WIDTH_MAX {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_and_latin_columns_line_up() {
        let mut table = Table::new(&["name", "as printed", "from"]);
        table.row(vec![
            "Achraf Chahboun".into(),
            "أشرف شهبون".into(),
            "2017".into(),
        ]);
        table.row(vec![
            "Souad El Mbarki El Idrissi".into(),
            "سعاد المباركي الإدريسي".into(),
            "2017".into(),
        ]);
        let mut out = Vec::new();
        table.write(&mut out, Style::Plain).unwrap();
        let text = String::from_utf8(out).unwrap();
        let columns: Vec<usize> = text
            .lines()
            .map(|l| l.find("20").map_or(0, |i| cells(&l[..i])))
            .skip(1)
            .collect();
        assert_eq!(columns[0], columns[1], "{text}");
    }

    #[test]
    fn empty_columns_are_left_out() {
        let mut table = Table::new(&["a", "b"]);
        table.row(vec!["x".into(), String::new()]);
        let mut out = Vec::new();
        table.write(&mut out, Style::Plain).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a\nx\n");
    }
}
