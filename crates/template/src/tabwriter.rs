//! Go's `text/tabwriter` (no flags), as the Docker CLI configures it.

/// Aligns tab-separated cells into columns.
pub struct TabWriter {
    minwidth: usize,
    padding: usize,
    buf: String,
}

impl TabWriter {
    /// A writer with Go's parameters (`padchar` is a space; `tabwidth` only matters for
    /// tab padding, which is not supported).
    pub fn new(minwidth: usize, padding: usize) -> TabWriter {
        TabWriter { minwidth, padding, buf: String::new() }
    }

    /// The Docker CLI's settings: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
    pub fn docker() -> TabWriter {
        TabWriter::new(10, 3)
    }

    /// Buffers text.
    pub fn write(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    /// Formats everything written.
    pub fn flush(&mut self) -> String {
        let text = std::mem::take(&mut self.buf);
        let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
        let mut out = String::new();
        let mut widths = Vec::new();
        self.format(&lines, 0, lines.len(), &mut widths, &mut out);
        out
    }

    fn format(&self, lines: &[Vec<&str>], mut line0: usize, line1: usize, widths: &mut Vec<usize>, out: &mut String) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            self.write_lines(lines, line0, this, widths, out);
            line0 = this;
            let mut width = self.minwidth;
            while this < line1 && column + 1 < lines[this].len() {
                width = width.max(lines[this][column].chars().count() + self.padding);
                this += 1;
            }
            widths.push(width);
            self.format(lines, line0, this, widths, out);
            widths.pop();
            line0 = this;
        }
        self.write_lines(lines, line0, line1, widths, out);
    }

    fn write_lines(&self, lines: &[Vec<&str>], line0: usize, line1: usize, widths: &[usize], out: &mut String) {
        for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if j < widths.len() && j + 1 < line.len() {
                    let w = cell.chars().count();
                    out.push_str(&" ".repeat(widths[j].saturating_sub(w)));
                }
            }
            if i + 1 < lines.len() {
                out.push('\n');
            }
        }
    }
}
