//! Where something was written in a spec file. It lives in the model (not in `spec`) because
//! validated resources carry their origin, and the model must not depend on the loader.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A position in a spec file. Lines and columns are 1-based, like editors show them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file as the user should read it: relative to the directory given on the command line.
    pub file: Arc<Path>,
    pub line: u32,
    pub column: u32,
}

impl Location {
    pub fn new(file: Arc<Path>, line: u32, column: u32) -> Self {
        Self { file, line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}
