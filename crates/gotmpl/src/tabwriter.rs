//! A port of Go's `text/tabwriter` as forked by the Docker CLI
//! (`cli/command/formatter/tabwriter`): elastic tabstops over column blocks,
//! with cell widths measured as terminal display width (the fork uses
//! `go-runewidth`; see [`display_width`]).
//!
//! Not ported: the `FilterHTML` and `StripEscape` flags and `0xff` escape
//! sequences (they cannot occur in UTF-8 `&str` input anyway).

/// A cell: its text, display width and whether a `\t` (rather than `\v`,
/// newline or end of input) terminated it.
#[derive(Debug, Clone)]
struct Cell {
    text: String,
    width: usize,
    htab: bool,
}

/// Go's `tabwriter.Writer`, buffering into a `String`.
///
/// Cells are tab-terminated; the text after the last tab of a line is not
/// part of any column. A column block is a run of consecutive lines that
/// all have a (tab-terminated) cell in that column; its width is the widest
/// cell plus `padding`, but at least `minwidth`. A line without any tab
/// ends all column blocks (the writer flushes there, as Go does).
#[derive(Debug, Clone)]
pub struct TabWriter {
    minwidth: usize,
    tabwidth: usize,
    padding: usize,
    padchar: char,
    flags: u32,
    out: String,
    cell: String,
    lines: Vec<Vec<Cell>>,
    widths: Vec<usize>,
}

impl TabWriter {
    /// Force right-alignment of cell content (Go's `AlignRight`).
    pub const ALIGN_RIGHT: u32 = 1 << 2;
    /// Treat empty columns terminated only by `\v` as absent (Go's
    /// `DiscardEmptyColumns`).
    pub const DISCARD_EMPTY_COLUMNS: u32 = 1 << 3;
    /// Always pad leading empty cells with tabs (Go's `TabIndent`).
    pub const TAB_INDENT: u32 = 1 << 4;
    /// Print `|` between columns (Go's `Debug`).
    pub const DEBUG: u32 = 1 << 5;

    /// Go's `tabwriter.NewWriter(out, minwidth, tabwidth, padding, padchar, flags)`.
    pub fn new(
        minwidth: usize,
        tabwidth: usize,
        padding: usize,
        padchar: char,
        flags: u32,
    ) -> Self {
        let mut flags = flags;
        if padchar == '\t' {
            // Tab padding enforces left-alignment.
            flags &= !Self::ALIGN_RIGHT;
        }
        TabWriter {
            minwidth,
            tabwidth,
            padding,
            padchar,
            flags,
            out: String::new(),
            cell: String::new(),
            lines: vec![Vec::new()],
            widths: Vec::new(),
        }
    }

    /// The writer the Docker CLI uses for tables:
    /// `NewWriter(out, 10, 1, 3, ' ', 0)`.
    pub fn docker() -> Self {
        Self::new(10, 1, 3, ' ', 0)
    }

    /// Feed text. `\t` and `\v` terminate cells; `\n` and `\f` terminate
    /// lines (`\f` also flushes and is output as a newline).
    pub fn write_str(&mut self, s: &str) {
        for ch in s.chars() {
            match ch {
                '\t' | '\x0b' | '\n' | '\x0c' => {
                    let ncells = self.terminate_cell(ch == '\t');
                    if ch == '\n' || ch == '\x0c' {
                        self.lines.push(Vec::new());
                        if ch == '\x0c' || ncells == 1 {
                            // A line with a single cell cannot affect later
                            // formatting: flush, like Go.
                            self.flush_internal();
                            if ch == '\x0c' && self.flags & Self::DEBUG != 0 {
                                self.out.push_str("---\n");
                            }
                        }
                    }
                }
                _ => self.cell.push(ch),
            }
        }
    }

    /// Format everything buffered so far and return all output produced
    /// since the previous `flush` (Go's `Flush`, plus draining the output).
    pub fn flush(&mut self) -> String {
        self.flush_internal();
        std::mem::take(&mut self.out)
    }

    /// Flush and return the complete output.
    pub fn into_string(mut self) -> String {
        self.flush()
    }

    fn terminate_cell(&mut self, htab: bool) -> usize {
        let text = std::mem::take(&mut self.cell);
        let width = display_width(&text);
        let line = self.lines.last_mut().expect("always one line");
        line.push(Cell { text, width, htab });
        line.len()
    }

    fn flush_internal(&mut self) {
        if !self.cell.is_empty() {
            self.terminate_cell(false);
        }
        self.format(0, self.lines.len());
        self.lines.clear();
        self.lines.push(Vec::new());
        self.widths.clear();
    }

    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // Cell exists in this column: print the lines before the block.
            self.write_lines(line0, this);
            line0 = this;
            // Column block.
            let mut width = self.minwidth;
            let mut discardable = true;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                let c = &line[column];
                width = width.max(c.width + self.padding);
                if c.width > 0 || c.htab {
                    discardable = false;
                }
                this += 1;
            }
            if discardable && self.flags & Self::DISCARD_EMPTY_COLUMNS != 0 {
                width = 0;
            }
            self.widths.push(width);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    fn write_padding(&mut self, textw: usize, cellw: usize, use_tabs: bool) {
        if self.padchar == '\t' || use_tabs {
            if self.tabwidth == 0 {
                return;
            }
            let cellw = cellw.div_ceil(self.tabwidth) * self.tabwidth;
            let n = cellw.saturating_sub(textw);
            let ntabs = n.div_ceil(self.tabwidth);
            self.out.extend(std::iter::repeat_n('\t', ntabs));
            return;
        }
        let n = cellw.saturating_sub(textw);
        self.out.extend(std::iter::repeat_n(self.padchar, n));
    }

    fn write_lines(&mut self, line0: usize, line1: usize) {
        let nlines = self.lines.len();
        for i in line0..line1 {
            let line = std::mem::take(&mut self.lines[i]);
            let mut use_tabs = self.flags & Self::TAB_INDENT != 0;
            for (j, c) in line.iter().enumerate() {
                if j > 0 && self.flags & Self::DEBUG != 0 {
                    self.out.push('|');
                }
                let w = self.widths.get(j).copied();
                if c.text.is_empty() {
                    if let Some(w) = w {
                        self.write_padding(c.width, w, use_tabs);
                    }
                } else {
                    use_tabs = false;
                    if self.flags & Self::ALIGN_RIGHT == 0 {
                        self.out.push_str(&c.text);
                        if let Some(w) = w {
                            self.write_padding(c.width, w, false);
                        }
                    } else {
                        if let Some(w) = w {
                            self.write_padding(c.width, w, false);
                        }
                        self.out.push_str(&c.text);
                    }
                }
            }
            self.lines[i] = line;
            if i + 1 == nlines {
                // Last buffered line: no newline; the incomplete cell (empty
                // after flush) is all that remains.
                let rest = self.cell.clone();
                self.out.push_str(&rest);
            } else {
                self.out.push('\n');
            }
        }
    }
}

impl Default for TabWriter {
    /// Same as [`TabWriter::docker`].
    fn default() -> Self {
        Self::docker()
    }
}

impl std::fmt::Write for TabWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        TabWriter::write_str(self, s);
        Ok(())
    }
}

/// Zero-width code points (combining marks, zero-width and format
/// characters) per go-runewidth, in sorted ranges.
const ZERO_WIDTH: &[(u32, u32)] = &[
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05BD),
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
    (0x0900, 0x0902),
    (0x093A, 0x093A),
    (0x093C, 0x093C),
    (0x0941, 0x0948),
    (0x094D, 0x094D),
    (0x0951, 0x0957),
    (0x0E31, 0x0E31),
    (0x0E34, 0x0E3A),
    (0x0E47, 0x0E4E),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x20D0, 0x20FF),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0xFEFF, 0xFEFF),
    (0xE0100, 0xE01EF),
];

/// East Asian Wide / Fullwidth ranges and wide emoji, in sorted ranges.
const WIDE: &[(u32, u32)] = &[
    (0x1100, 0x115F),
    (0x231A, 0x231B),
    (0x2329, 0x232A),
    (0x23E9, 0x23EC),
    (0x23F0, 0x23F0),
    (0x23F3, 0x23F3),
    (0x25FD, 0x25FE),
    (0x2614, 0x2615),
    (0x2648, 0x2653),
    (0x267F, 0x267F),
    (0x2693, 0x2693),
    (0x26A1, 0x26A1),
    (0x26AA, 0x26AB),
    (0x26BD, 0x26BE),
    (0x26C4, 0x26C5),
    (0x26CE, 0x26CE),
    (0x26D4, 0x26D4),
    (0x26EA, 0x26EA),
    (0x26F2, 0x26F3),
    (0x26F5, 0x26F5),
    (0x26FA, 0x26FA),
    (0x26FD, 0x26FD),
    (0x2705, 0x2705),
    (0x270A, 0x270B),
    (0x2728, 0x2728),
    (0x274C, 0x274C),
    (0x274E, 0x274E),
    (0x2753, 0x2755),
    (0x2757, 0x2757),
    (0x2795, 0x2797),
    (0x27B0, 0x27B0),
    (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x2E80, 0x303E),
    (0x3041, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA000, 0xA4CF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0xFE10, 0xFE19),
    (0xFE30, 0xFE6F),
    (0xFF00, 0xFF60),
    (0xFFE0, 0xFFE6),
    (0x16FE0, 0x16FE4),
    (0x17000, 0x18AFF),
    (0x1B000, 0x1B2FF),
    (0x1F004, 0x1F004),
    (0x1F0CF, 0x1F0CF),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F200, 0x1F251),
    (0x1F300, 0x1F64F),
    (0x1F680, 0x1F6FF),
    (0x1F7E0, 0x1F7EB),
    (0x1F90C, 0x1F9FF),
    (0x1FA70, 0x1FAFF),
    (0x20000, 0x2FFFD),
    (0x30000, 0x3FFFD),
];

fn in_table(c: u32, table: &[(u32, u32)]) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if c < lo {
                std::cmp::Ordering::Greater
            } else if c > hi {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Terminal display width of a character, approximating go-runewidth's
/// `RuneWidth` (non-East-Asian locale): control characters 0, combining and
/// zero-width characters 0, wide/fullwidth characters and emoji 2, else 1.
pub(crate) fn char_width(c: char) -> usize {
    let u = c as u32;
    if u < 0x20 || (0x7F..=0x9F).contains(&u) {
        0
    } else if u < 0x300 {
        1
    } else if in_table(u, ZERO_WIDTH) {
        0
    } else if in_table(u, WIDE) {
        2
    } else {
        1
    }
}

/// Display width of a string (sum of [`char_width`]). Equal to the number
/// of characters for ASCII text.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(tw: TabWriter, input: &str) -> String {
        let mut tw = tw;
        tw.write_str(input);
        tw.into_string()
    }

    #[test]
    fn docker_images_example() {
        let out = fmt(
            TabWriter::docker(),
            "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\tabcdef123456\t2 hours ago\t4.26MB\n",
        );
        assert_eq!(
            out,
            "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    abcdef123456   2 hours ago   4.26MB\n"
        );
    }

    #[test]
    fn go_doc_column_blocks() {
        // The example from Go's package documentation.
        let out = fmt(
            TabWriter::new(0, 8, 1, '.', 0),
            "aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n",
        );
        assert_eq!(out, "aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n");
    }

    #[test]
    fn trailing_cells_are_not_padded() {
        let out = fmt(TabWriter::new(0, 8, 1, '-', 0), "a\tb\t\nccc\td\t");
        // "d" is the last cell of its line (nothing follows the final tab),
        // so like Go it is not part of a column and not padded.
        assert_eq!(out, "a---b-\nccc-d");
    }

    #[test]
    fn single_cell_line_breaks_blocks() {
        let out = fmt(TabWriter::docker(), "a\tb\nheader only\nlonger-cell\tx\n");
        assert_eq!(out, "a         b\nheader only\nlonger-cell   x\n");
    }

    #[test]
    fn align_right_and_debug() {
        let out = fmt(
            TabWriter::new(0, 8, 1, ' ', TabWriter::ALIGN_RIGHT),
            "a\tbbb\tc\naa\tb\tc\n",
        );
        assert_eq!(out, "  a bbbc\n aa   bc\n");
        let out = fmt(
            TabWriter::new(0, 8, 1, ' ', TabWriter::DEBUG),
            "a\tbbb\tc\n",
        );
        assert_eq!(out, "a |bbb |c\n");
    }

    #[test]
    fn tab_padding() {
        let out = fmt(TabWriter::new(0, 8, 1, '\t', 0), "a\tb\naaaaaaaa\tb\n");
        assert_eq!(out, "a\t\tb\naaaaaaaa\tb\n");
    }

    #[test]
    fn wide_characters() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("日本"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
        let out = fmt(TabWriter::docker(), "日本語\tx\nabc\ty\n");
        assert_eq!(out, "日本語    x\nabc       y\n");
    }
}
